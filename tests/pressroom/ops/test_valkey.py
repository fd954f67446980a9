"""Each checkout has its own embedded Valkey: two `make run`s on one machine, or a demo beside the test
suite, never share a broker or a cache."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pressroom.ops import valkey

BASE_DIR = Path(__file__).resolve().parents[3]
PRINT_URL = [
    sys.executable,
    "-c",
    "import os, time; print(os.environ['REDIS_URL'], flush=True); time.sleep(3)",
]


def embedded(var_dir):
    """`python -m pressroom.embedded` as `make run` starts it, in the checkout whose var dir is VAR_DIR."""
    env = {
        key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "EMBEDDED_VALKEY_PORT")
    }
    env["PRESSROOM_VAR_DIR"] = str(var_dir)
    return subprocess.Popen(
        [sys.executable, "-m", "pressroom.embedded", *PRINT_URL],
        cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip


def test_two_checkouts_running_at_once_get_two_valkeys(tmp_path):
    first, second = embedded(tmp_path / "a"), embedded(tmp_path / "b")
    try:
        url_a, url_b = first.stdout.readline().strip(), second.stdout.readline().strip()
    finally:
        first.wait(timeout=30), second.wait(timeout=30)

    assert url_a.startswith("redis://127.0.0.1:") and url_b.startswith("redis://127.0.0.1:")
    assert url_a != url_b
    assert (tmp_path / "a" / "valkey" / "port").read_text() != (
        tmp_path / "b" / "valkey" / "port"
    ).read_text()


@pytest.fixture
def servers():
    started = []
    yield started
    for server in started:
        server.stop()


def test_a_running_valkey_of_the_same_checkout_is_used_again(tmp_path, monkeypatch, servers):
    monkeypatch.delenv("EMBEDDED_VALKEY_PORT", raising=False)
    url, server = valkey.for_checkout(tmp_path)
    servers.append(server)

    assert server is not None
    assert valkey.for_checkout(tmp_path) == (url, None)


def test_another_checkouts_valkey_on_the_recorded_port_is_not_used(tmp_path, monkeypatch, servers):
    monkeypatch.delenv("EMBEDDED_VALKEY_PORT", raising=False)
    other_url, other = valkey.for_checkout(tmp_path / "other")
    servers.append(other)
    (tmp_path / "mine" / "valkey").mkdir(parents=True)
    (tmp_path / "mine" / "valkey" / "port").write_text(other_url.split(":")[-1].split("/")[0])

    url, server = valkey.for_checkout(tmp_path / "mine")
    servers.append(server)

    assert server is not None
    assert url != other_url
    deadline = time.monotonic() + 5
    while valkey.data_dir_of(int(url.split(":")[-1].split("/")[0])) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert (
        valkey.data_dir_of(int(url.split(":")[-1].split("/")[0])) == (tmp_path / "mine" / "valkey").resolve()
    )

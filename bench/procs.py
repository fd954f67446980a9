"""Processes the benchmark starts: each on loopback, each stopped in a `finally`, each told to die with us.

Every service is started in its own session with PR_SET_PDEATHSIG, so that a benchmark killed halfway
leaves nothing running; `Service.stop` ends only the process group it started.
"""

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

PR_SET_PDEATHSIG = 1


def _die_with_parent():
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, timeout, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {port}")
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


class Service:
    """A subprocess with its output in a log file, stopped with TERM, then KILL, by its process group."""

    def __init__(self, name, argv, *, env=None, cwd=None, log_dir):
        self.name = name
        self.log_path = Path(log_dir) / f"{name}.log"
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )

    @property
    def pid(self):
        return self.process.pid

    def wait_for_log(self, text, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log_path.read_text(errors="replace"):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        tail = self.log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{self.name} did not log {text!r} within {timeout} s:\n{tail}")

    def stop(self, grace=15):
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        # Pool children of a stopped parent, if any survived it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def descendants(pid):
    """PID and every process below it, read from /proc."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{current}/task"):
                with contextlib.suppress(OSError):
                    stack.extend(
                        int(c) for c in Path(f"/proc/{current}/task/{task}/children").read_text().split()
                    )
    return found


def rss_bytes(pid):
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def pss_bytes(pid):
    """Proportional set size: shared pages divided among the processes that share them."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid):
    """User + system CPU time of PID (its own threads, not its children)."""
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


class RssSampler:
    """Samples the summed RSS of a process tree (parent and pool children) until stopped; keeps the peak."""

    def __init__(self, pid, interval=0.2):
        self.pid, self.interval = pid, interval
        self.peak = 0
        self.peak_pss = 0
        self.first = None
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            pids = descendants(self.pid)
            total = sum(rss_bytes(p) for p in pids)
            self.peak_pss = max(self.peak_pss, sum(pss_bytes(p) for p in pids))
            if total:
                self.first = self.first if self.first is not None else total
                self.peak = max(self.peak, total)
                self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)

    @property
    def peak_mb(self):
        return round(self.peak / 2**20, 1)

    @property
    def peak_pss_mb(self):
        return round(self.peak_pss / 2**20, 1)


class CpuSampler:
    """CPU seconds used by groups of processes while it runs, sampled so that processes that exit in
    between (database backends of closed connections) still count, up to the last sample."""

    def __init__(self, groups, interval=0.5):
        self.groups, self.interval = groups, interval  # name -> callable returning pids
        self.start_cpu, self.last_cpu = {}, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self):
        for name, pids in self.groups.items():
            for pid in pids():
                value = cpu_seconds(pid)
                if value:
                    self.start_cpu.setdefault((name, pid), value if not self._thread.is_alive() else 0.0)
                    self.last_cpu[(name, pid)] = value

    def _run(self):
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self):
        self._busy_start, self._wall_start = machine_busy_seconds(), time.monotonic()
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)
        self._sample()
        used = {name: 0.0 for name in self.groups}
        for (name, pid), value in self.last_cpu.items():
            used[name] += value - self.start_cpu.get((name, pid), 0.0)
        wall = time.monotonic() - self._wall_start
        busy = machine_busy_seconds() - self._busy_start
        used["everything_else"] = max(busy - sum(used.values()), 0.0)
        used["machine_busy"], used["wall_seconds"] = busy, wall
        # Unrounded, for callers that add up many short samplers.
        self.exact = used
        self.used = {name: round(value, 1) for name, value in used.items()}
        self.used["cores_busy"] = round(busy / wall, 2) if wall else None


def machine_busy_seconds():
    """CPU seconds the whole machine has spent busy (all cores, everyone's processes) since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def processes_named(*names):
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and _comm(p) in names]


def _comm(pid):
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def percentile(values, q):
    """The Q-th percentile (0..100) of VALUES, by linear interpolation between the closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = (len(ordered) - 1) * q / 100
    low, high = int(rank), min(int(rank) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)

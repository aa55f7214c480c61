"""Background processes that a later command can find and end: pid and log files in a folder.

Each process starts in its own session (so its process group holds its children too), its pid
goes to `<folder>/<name>.pid` and its output to `<folder>/<name>.log`. A recorded pid counts as
running only while that process lives and is still a `prefect` command (a pid can be reused).

Kept by hand (issue 14 item 6) although Prefect 3.9 has `prefect server start --background`
and `prefect server stop`: the worker has no background mode; `server stop` sends one SIGTERM
to the leader and returns at once (no wait, no SIGKILL, the group's children and the zombie
left behind, which tests/orchestrate/test_schedule.py asserts against); and the background
server's output goes to no log file that `schedule start` could show when it fails.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def pid_file(home: Path, name: str) -> Path:
    return home / f"{name}.pid"


def log_file(home: Path, name: str) -> Path:
    return home / f"{name}.log"


def spawn(home: Path, name: str, args: list[str], env: dict[str, str]) -> int:
    """Start `prefect ARGS` detached, in its own process group, logging to <name>.log."""
    with log_file(home, name).open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "prefect", *args], cwd=home, env=env, stdin=subprocess.DEVNULL,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    pid_file(home, name).write_text(str(process.pid))
    return process.pid


def running_pid(home: Path, name: str) -> int | None:
    """Return the recorded pid of `name` if that process still runs and is ours, else None."""
    try:
        pid = int(pid_file(home, name).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _alive(pid) and _is_prefect(pid) else None


def _alive(pid: int) -> bool:
    _reap(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if _exited(pid):  # exited since we looked: reap it if it is our child
        _reap(pid)
        return False
    return True


def _exited(pid: int) -> bool:
    """Whether every thread of `pid` has exited (a zombie waiting to be collected).

    The leader of a multi-threaded process shows state Z as soon as its main thread returns,
    while another thread may still run (and hold a port): that process has not exited.
    """
    tasks = list(Path(f"/proc/{pid}/task").glob("[0-9]*/stat"))
    if not tasks:
        return _state(pid) == "Z"
    return all(_stat_state(stat) in ("Z", None) for stat in tasks)


def _reap(pid: int) -> None:
    """Collect `pid`'s exit status if it is our own child that has exited (else nothing)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _state(pid: int) -> str | None:
    """The process state letter from /proc (R, S, Z, ...), None where there is no /proc."""
    return _stat_state(Path(f"/proc/{pid}/stat"))


def _stat_state(stat: Path) -> str | None:
    try:
        return stat.read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return None


def _is_prefect(pid: int) -> bool:
    """Guard against a recycled pid: the process must be a `prefect` command (Linux check)."""
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.exists():
        return True
    return b"prefect" in cmdline.read_bytes()


def terminate_group(pid: int, timeout: float) -> None:
    """SIGTERM the process group led by `pid`; SIGKILL it if it outlives `timeout`."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            break
        if _wait_gone(pid, wait):
            break
    # A leader that is our own child (a test, a long-lived caller) is collected here, even if
    # it died only after the last look: no zombie is left behind.
    deadline = time.monotonic() + 10.0
    while _state(pid) is not None and time.monotonic() < deadline:
        if not _alive(pid):
            break
        time.sleep(0.1)


def _wait_gone(pid: int, wait: float) -> bool:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if not _alive(pid) and not _group_alive(pid):
            return True
        time.sleep(0.1)
    return False


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # Zombies still count for kill(0): look for a member with a live thread.
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and not _exited(int(stat.parent.name)):
            return True
    return not Path("/proc/self").exists()


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0

"""Ending background processes: a half-exited process is not taken for a dead one."""

import os
import subprocess
import sys
import time
from pathlib import Path

from flightprice.orchestrate import _background

# The main thread leaves with pthread_exit while a second thread keeps running: the leader
# then shows state Z in /proc/PID/stat although the process still lives. (Linux, glibc.)
HALF_EXITED = """
import ctypes, threading, time
threading.Thread(target=time.sleep, args=(120,)).start()
time.sleep(0.2)
ctypes.CDLL(None).pthread_exit(None)
"""


def _wait_for_state(pid: int, state: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while _background._state(pid) != state:
        assert time.monotonic() < deadline, f"{pid} never reached state {state}"
        time.sleep(0.05)


def test_a_leader_whose_main_thread_exited_still_counts_as_running_and_is_killed():
    process = subprocess.Popen([sys.executable, "-c", HALF_EXITED], start_new_session=True)
    try:
        _wait_for_state(process.pid, "Z")
        assert _background._alive(process.pid)  # a thread still runs
        assert _background._group_alive(process.pid)

        _background.terminate_group(process.pid, timeout=2.0)

        # SIGTERM ends it (or SIGKILL does); either way it is gone and collected.
        assert not Path(f"/proc/{process.pid}").exists()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 9)
            process.wait()


def test_a_real_zombie_is_collected_and_not_running():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    _wait_for_state(process.pid, "Z")
    assert not _background._alive(process.pid)  # collects it
    assert not Path(f"/proc/{process.pid}").exists()

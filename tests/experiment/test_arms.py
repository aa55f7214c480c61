"""Arms by a stable hash of the flight: same flight -> same arm, in any process; the share holds."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import datetime

from flightprice.experiment.arms import Experiment, flight_id
from flightprice.experiment.assignments import AssignmentLog, read_assignments

FLIGHTS = [f"BA{n}-202609{d:02d}" for n in range(100, 600) for d in range(1, 11)]


def test_flight_id_is_dbts_flight_id():
    # dbt: upper(trim(carrier)) || upper(trim(flight_number)) || '-' || YYYYMMDD (UTC)
    assert flight_id(" ba", "117 ", datetime(2026, 10, 1, 18, 30)) == "BA117-20261001"
    assert flight_id("UA", None, datetime(2026, 9, 20, 7, 15), "JFK", "SFO") == (
        "UA-JFKSFO-202609200715"
    )


def test_the_share_of_flights_goes_to_the_challenger():
    for share in (0.1, 0.5, 0.9):
        experiment = Experiment("exp", "v2", share)
        picked = sum(experiment.is_challenger(f) for f in FLIGHTS) / len(FLIGHTS)
        assert abs(picked - share) < 0.03, (share, picked)
    assert not any(Experiment("exp", "v2", 0.0).is_challenger(f) for f in FLIGHTS)
    assert all(Experiment("exp", "v2", 1.0).is_challenger(f) for f in FLIGHTS)


def test_a_larger_share_only_adds_flights_and_a_new_name_reshuffles():
    small, large = Experiment("exp", "v2", 0.2), Experiment("exp", "v2", 0.6)
    assert all(large.is_challenger(f) for f in FLIGHTS if small.is_challenger(f))
    other = Experiment("exp-2", "v2", 0.6)
    changed = sum(large.is_challenger(f) != other.is_challenger(f) for f in FLIGHTS)
    assert changed > len(FLIGHTS) * 0.3  # independent splits disagree on ~48% of flights


def test_arms_are_the_same_in_another_process():
    # A restart is a new process: Python's own hash() would differ there (PYTHONHASHSEED).
    code = (
        "from flightprice.experiment.arms import Experiment;"
        f"e = Experiment('exp', 'v2', 0.5); flights = {FLIGHTS[:200]!r};"
        "print(''.join('1' if e.is_challenger(f) else '0' for f in flights))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"PYTHONHASHSEED": "123"}).stdout.strip()  # fmt: skip
    here = Experiment("exp", "v2", 0.5)
    assert out == "".join("1" if here.is_challenger(f) else "0" for f in FLIGHTS[:200])
    assert "0" in out and "1" in out


def test_from_settings_reads_the_experiment_and_tells_policies_from_versions(settings):
    assert Experiment.from_settings(settings) is None
    configured = settings.model_copy(
        update={"experiment_challenger": "optimal", "experiment_share": 0.25,
                "experiment_name": "summer"}
    )  # fmt: skip
    assert Experiment.from_settings(configured, ("rule", "optimal")) == Experiment(
        "summer", "optimal", 0.25, "policy"
    )
    assert Experiment.from_settings(configured).kind == "model"


def test_the_assignment_log_keeps_every_line_whole_under_concurrent_appends(tmp_path):
    log = AssignmentLog(tmp_path / "deep" / "log.jsonl")
    rows = [{"experiment": "exp", "flight_id": f"F{i}", "cabin": "economy", "arm": "champion",
             "challenger": "v2", "model_version": "v1", "price": float(i)} for i in range(50)]  # fmt: skip

    def write(name: str) -> None:
        for _ in range(20):
            log.append([{**r, "experiment": name} for r in rows])

    threads = [threading.Thread(target=write, args=(f"e{t}",)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.close()
    everything = read_assignments(log.path)
    assert len(everything) == 4 * 20 * 50
    one = read_assignments(log.path, "e2")
    assert len(one) == 20 * 50 and set(one["experiment"]) == {"e2"}
    assert one["price"].sum() == 20 * sum(range(50))
    assert read_assignments(tmp_path / "missing.jsonl").empty

"""Security facts checked in the files themselves: no pickle, .env ignored, a non-root image,
a dependency audit target, constant-time key checks."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from api import deps

REPO = Path(__file__).resolve().parents[2]
# Loading any of these runs code from the file: models are UBJSON, frames Arrow/Parquet.
PICKLE = re.compile(
    r"^\s*(import|from)\s+(pickle|cPickle|dill|cloudpickle|joblib|shelve)\b"
    r"|\b(pickle|dill|cloudpickle|joblib)\.(load|loads|dump|dumps)\("
    r"|\.(read|to)_pickle\(|\btorch\.load\(",
    re.MULTILINE,
)


def _sources() -> list[Path]:
    roots = ("src", "api", "flows", "benchmarks", "tests")
    return [p for root in roots for p in (REPO / root).rglob("*.py")]


# Each allowed hit with why it is safe. Dask moves tasks between the scheduler and workers
# we run with cloudpickle by design (FLIGHTPRICE_ENGINE=dask only); the flow module is sent
# by value. Nothing stored, and nothing a client sends, is ever unpickled.
ALLOWED_PICKLE = {"src/flightprice/engine.py: import cloudpickle"}


def test_no_pickle_anywhere():
    assert len(_sources()) > 50
    hits = [f"{p.relative_to(REPO)}: {m.group(0).strip()}"
            for p in _sources() if p != Path(__file__)
            for m in PICKLE.finditer(p.read_text(encoding="utf-8"))]  # fmt: skip
    assert [hit for hit in hits if hit not in ALLOWED_PICKLE] == []


def test_the_pickle_pattern_catches_what_it_should():
    for line in ("import pickle", "from joblib import load", "x = pickle.loads(b)",
                 "frame.to_pickle(path)", "pd.read_pickle(p)"):  # fmt: skip
        assert PICKLE.search(line), line
    assert not PICKLE.search("never pickle: UBJSON")


def test_dotenv_is_ignored_by_git():
    lines = {ln.strip() for ln in (REPO / ".gitignore").read_text().splitlines()}
    assert ".env" in lines


def test_the_image_runs_as_a_non_root_user():
    dockerfile = (REPO / "ecs" / "Dockerfile").read_text()
    final_stage = dockerfile.rsplit("\nFROM ", 1)[1]
    users = re.findall(r"^USER\s+(\S+)", final_stage, re.MULTILINE)
    assert users, "the runtime stage sets no USER: it runs as root"
    assert users[-1] not in ("root", "0", "0:0")
    assert re.search(r"useradd[^\n]*--uid\s+[1-9]", final_stage)


def test_make_audit_runs_pip_audit_on_the_lock_file():
    makefile = (REPO / "Makefile").read_text()
    recipe = re.search(r"^audit:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe, "no audit target"
    commands = recipe.group(1)
    assert "export --locked" in commands and "pip-audit" in commands
    assert re.search(r"^\.PHONY:.*\baudit\b", makefile, re.MULTILINE)


def test_api_keys_are_compared_in_constant_time():
    source = inspect.getsource(deps._check_key)
    assert "secrets.compare_digest" in source and "==" not in source

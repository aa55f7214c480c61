"""Shared fixtures: a settings object on a temporary home, its store and warehouse."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self

# Before anything imports Prefect: no telemetry, no server of the developer's.
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ.pop("PREFECT_API_URL", None)
# No hyperparameter search unless a test asks (tests/train/test_search.py): it spends a budget.
os.environ["FLIGHTPRICE_SEARCH_TRIALS"] = "0"
# No MLflow tracking unless a test asks (tests/track/): a new store costs ~15 s of migrations.
os.environ["FLIGHTPRICE_MLFLOW_TRACKING"] = "false"

import pytest

from flightprice.settings import Settings
from flightprice.store import LocalStore
from flightprice.warehouse import open_warehouse, setup_warehouse
from flightprice.warehouse.duckdb import DuckDBWarehouse


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the files with slow tests first, longest timeout first: two xdist workers then
    finish close together instead of one running the backfill alone at the end."""
    slow, budget = set(), {}
    for item in items:
        if item.get_closest_marker("slow"):
            slow.add(item.path)
        if timeout := item.get_closest_marker("timeout"):
            budget[item.path] = max(budget.get(item.path, 0), timeout.args[0])
    # Stable: the files and their tests otherwise keep their order.
    items.sort(key=lambda item: (item.path not in slow, -budget.get(item.path, 0)))


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    """Settings on an empty home in tmp_path, ignoring the developer's FLIGHTPRICE_* env."""
    for key in list(os.environ):
        if key.startswith("FLIGHTPRICE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("FLIGHTPRICE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FLIGHTPRICE_SEARCH_TRIALS", "0")
    monkeypatch.setenv("FLIGHTPRICE_MLFLOW_TRACKING", "false")
    return Settings(home=tmp_path / "home")


@pytest.fixture
def store(tmp_path) -> LocalStore:
    return LocalStore(tmp_path / "lake")


@pytest.fixture
def warehouse(tmp_path):
    """A DuckDB warehouse file with the setup SQL applied; closed after the test."""
    wh = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    setup_warehouse(wh, Settings(home=tmp_path))
    yield wh
    wh.close()


@pytest.fixture
def home_warehouse(settings):
    """The warehouse of `settings` (what the CLI opens), initialised; closed after the test."""
    wh = open_warehouse(settings)
    setup_warehouse(wh, settings)
    yield wh
    wh.close()


# --- A small priced market, shared by the API, scoring, parity and flow tests -------------

MARKET_START = date(2026, 9, 1)
# The small market's flights are too few to learn prices by flight: the fixture model prices
# from route, carrier, stops and the rest, so tests see every input move the fare.
FAST_TRAINING = {"num_boost_round": 40, "early_stopping_rounds": 10, "learning_rate": 0.2,
                 "flight_min_rows": 10**9}


def market_settings(home: Path, **overrides) -> Settings:
    """Settings on `home` with the embedded backends, whatever the developer's env says."""
    values = {"warehouse": "duckdb", "store": "local", "notify_webhook_url": None,
              "api_key": "test-admin-key", "search_trials": 0, "mlflow_tracking": False,
              **overrides}
    return Settings(home=home, **values)


def register_model(settings: Settings, version: str, *, champion: bool, rounds: int = 40) -> str:
    """Train on ML_TRAINING_FEATURES, store the artifact, register it (or promote it)."""
    from flightprice import registry
    from flightprice.store import open_store
    from flightprice.train.model import save_model, train_model
    from flightprice.train.run import load_training_frame

    with open_warehouse(settings, read_only=True) as wh:
        frame = load_training_frame(wh)
    trained = train_model(frame, {**FAST_TRAINING, "num_boost_round": rounds}, holdout_days=2)
    info = save_model(trained, open_store(settings), version)
    with open_warehouse(settings) as wh:
        if champion and registry.champion(wh) is not None:
            registry.register(wh, version, trained.metrics, info.model_uri, info.sha256)
            registry.promote(wh, version, "test: promoted by hand")
        else:
            status = "champion" if champion else "challenger"
            registry.register(wh, version, trained.metrics, info.model_uri, info.sha256, status)
    return version


@pytest.fixture(scope="session")
def market_template(tmp_path_factory) -> Path:
    """A home after init -> generate -> ingest -> dbt (no tests), without a model; built once.

    Copy it (`market_home`) before changing anything: tests share it.
    """
    from flightprice.ingest.load import load_raw_files
    from flightprice.project import init_project
    from flightprice.store import open_store
    from flightprice.synth.generate import generate_market
    from flightprice.transform.dbt import run_dbt

    home = tmp_path_factory.mktemp("market") / "home"
    settings = market_settings(home)
    init_project(settings)
    generate_market(open_store(settings), start=MARKET_START, days=8, routes=4, seed=5,
                    schedules="new")
    with open_warehouse(settings) as wh:
        load_raw_files(open_store(settings), wh, run_id="market-template")
    run = run_dbt(settings, ["build", "--exclude", "resource_type:test", "resource_type:unit_test"])
    assert run.success, [n.message for n in run.failed]
    return home


@pytest.fixture(scope="session")
def champion_template(market_template, tmp_path_factory) -> Path:
    """`market_template` plus a registered champion `v-test-1`; built once."""
    home = tmp_path_factory.mktemp("champion") / "home"
    shutil.copytree(market_template, home)
    register_model(market_settings(home), "v-test-1", champion=True)
    return home


def copy_home(template: Path, target: Path) -> Path:
    """Copy a template home (warehouse file and lake) so a test may change it."""
    shutil.copytree(template, target, ignore=shutil.ignore_patterns("*.lock", "*.wal"))
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_api(settings: Settings):
    """Serve `create_app(settings)` with a real uvicorn on a free port; yield its base URL."""
    from api.main import create_app

    with running_app(create_app(settings)) as url:
        yield url


@contextlib.contextmanager
def running_app(app):
    """Serve `app` with a real uvicorn on a free port; yield its base URL."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def serve_app():
    """`with serve_app(app) as url:` a real uvicorn serving an app built by the test."""
    return running_app


@pytest.fixture(scope="session")
def make_settings():
    """`make_settings(home, **overrides)`: settings on a market home (embedded backends)."""
    return market_settings


@pytest.fixture(scope="session")
def train_and_register():
    """`train_and_register(settings, version, champion=..., rounds=...)` (see register_model)."""
    return register_model


@pytest.fixture(scope="session")
def serve_api():
    """`with serve_api(settings) as url:` a real uvicorn serving the pricing API."""
    return running_api


@pytest.fixture
def market_home(market_template, tmp_path) -> Path:
    """A private copy of the market home without a model."""
    return copy_home(market_template, tmp_path / "market")


@pytest.fixture
def champion_home(champion_template, tmp_path) -> Path:
    """A private copy of the market home with champion v-test-1."""
    return copy_home(champion_template, tmp_path / "champion")


class Webhook:
    """A tiny webhook receiver: records JSON bodies; answers the queued statuses, then 200."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.statuses: list[int] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                hook.received.append(json.loads(self.rfile.read(length)))
                status = hook.statuses.pop(0) if hook.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook():
    """A webhook receiver on 127.0.0.1 (`.url`, `.received`, `.statuses` to answer)."""
    with Webhook() as hook:
        yield hook


# --- AWS stand-in: moto's HTTP server (tests/moto_aws.py) -------------------------------


@pytest.fixture(scope="session")
def moto_url() -> str:
    """One moto server for the session; `aws` resets it for each test."""
    from moto_aws import moto_server

    with moto_server() as url:
        yield url


@pytest.fixture
def aws(moto_url, monkeypatch, tmp_path) -> str:
    """An empty moto server and dummy credentials in the env (never the developer's)."""
    from moto_aws import DUMMY_CREDENTIALS, reset

    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    for key, value in DUMMY_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    reset(moto_url)
    return moto_url


@pytest.fixture(scope="module")
def dask_cluster():
    """A LocalCluster of 2 single-threaded worker processes for one test module; closed after."""
    from distributed import LocalCluster

    from flightprice.engine import local_cluster_kwargs

    kwargs = local_cluster_kwargs(Settings(dask_workers=2))
    with LocalCluster(**kwargs) as cluster:
        yield cluster

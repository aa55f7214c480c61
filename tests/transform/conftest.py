"""Fixtures for the dbt project tests: a hand-made RAW warehouse and a real dbt runner."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt.cli.main import dbtRunner, dbtRunnerResult

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt"
DUCKDB_SETUP_SQL = REPO_ROOT / "sql" / "duckdb_setup.sql"

SCHEDULE_FILE = "raw-data/schedules/2026-08-27/schedules.csv"
FARE_FILE = "raw-data/fares/{day}/fares.csv"
LOADED_AT = "2026-09-10 00:00:00"

# Flights (departure UTC): AA100 JFK-LAX Sat 2026-09-12 08:00 in economy (150 seats) and
# business (20); AA102 JFK-LAX 2026-09-04 07:00 economy, departed before the data clock;
# BA200 LHR-JFK 2026-09-10 18:30 economy (200); DL300 ATL-ZZZ 2026-09-20 10:00 economy (100),
# never quoted, to an airport the seed does not know; LH400 FRA-JFK 2026-09-11 12:00 is
# quoted but has no schedule row.
SCHEDULE_COLUMNS = ("carrier", "flight_number", "origin", "destination", "departure_at",
                    "arrival_at", "cabin", "stops", "capacity")  # fmt: skip
_SCHEDULE_ROWS = (
    ("AA", "100", "JFK", "LAX", "2026-09-12 08:00:00", "2026-09-12 14:00:00", "economy", 0, 150),
    ("AA", "100", "JFK", "LAX", "2026-09-12 08:00:00", "2026-09-12 14:00:00", "business", 0, 20),
    ("AA", "102", "JFK", "LAX", "2026-09-04 07:00:00", "2026-09-04 13:00:00", "economy", 0, 150),
    ("BA", "200", "LHR", "JFK", "2026-09-10 18:30:00", "2026-09-10 21:30:00", "economy", 0, 200),
    ("DL", "300", "ATL", "ZZZ", "2026-09-20 10:00:00", "2026-09-20 13:00:00", "economy", 1, 100),
)  # fmt: skip
# An older publication of AA100 economy: the later load (150 seats) must win.
_SUPERSEDED_ROW = ("AA", "100", "JFK", "LAX", "2026-09-12 08:00:00", "2026-09-12 14:00:00",
                   "economy", 0, 999)  # fmt: skip
_SCHEDULES: list[dict[str, Any]] = [
    dict(zip(SCHEDULE_COLUMNS, values, strict=True)) for values in _SCHEDULE_ROWS
] + [{**dict(zip(SCHEDULE_COLUMNS, _SUPERSEDED_ROW, strict=True)), "_loaded_at": "2026-08-27"}]


def _fare(
    quote_id: str,
    observed_at: str,
    flight: str,
    cabin: str,
    price: float,
    currency: str,
    seats: int | None,
    **extra: Any,
) -> dict[str, Any]:
    carrier, number = flight[:2], flight[2:]
    legs = {
        "AA100": ("JFK", "LAX", "2026-09-12 08:00:00", 360),
        "AA102": ("JFK", "LAX", "2026-09-04 07:00:00", 360),
        "BA200": ("LHR", "JFK", "2026-09-10 18:30:00", 420),
        "LH400": ("FRA", "JFK", "2026-09-11 12:00:00", 510),
    }
    origin, destination, departure_at, duration = legs[flight]
    return {
        "quote_id": quote_id, "observed_at": observed_at, "carrier": carrier,
        "flight_number": number, "origin": origin, "destination": destination,
        "departure_at": departure_at, "cabin": cabin, "stops": 0, "duration_minutes": duration,
        "seats_remaining": seats, "price": price, "currency": currency, **extra,
    }  # fmt: skip


# Rates in the currency_rates seed: EUR 1.08, GBP 1.27 USD per unit.
_FARES: list[dict[str, Any]] = [
    _fare("q01", "2026-08-28 10:00:00", "AA102", "economy", 200.0, "USD", 100),
    _fare("q02", "2026-08-30 10:00:00", "AA102", "economy", 220.0, "USD", 90),
    _fare("q03", "2026-09-01 09:00:00", "AA100", "economy", 300.0, "USD", 120),
    _fare("q04", "2026-09-02 09:00:00", "AA100", "economy", 250.0, "EUR", 110),  # 270 USD
    _fare("q05", "2026-09-02 12:00:00", "AA102", "economy", 260.0, "USD", 40),
    _fare("q06", "2026-09-05 09:00:00", "AA100", "economy", 310.0, "USD", 100),
    _fare("q07", "2026-09-05 09:00:00", "AA100", "economy", 320.0, "USD", 100),  # same instant
    _fare("q08", "2026-09-08 09:00:00", "AA100", "economy", 350.0, "USD", 200),  # > capacity
    _fare("q09", "2026-09-09 09:00:00", "AA100", "economy", 380.0, "USD", None),
    _fare("q10", "2026-09-09 10:00:00", "AA100", "economy", 400.0, "USD", 60),
    _fare("q11", "2026-09-03 09:00:00", "AA100", "business", 1000.0, "GBP", 10),  # 1270 USD
    _fare("q12", "2026-09-06 09:00:00", "AA100", "business", 1300.0, "USD", 5),
    _fare("q13", "2026-09-01 08:00:00", "BA200", "economy", 400.0, "GBP", 150),  # 508 USD
    _fare("q14", "2026-09-04 08:00:00", "BA200", "economy", 450.0, "GBP", 120),  # 571.5 USD
    _fare("q16", "2026-09-07 12:00:00", "LH400", "economy", 500.0, "EUR", 30),  # 540 USD
    _fare("q17", "2026-09-09 12:00:00", "LH400", "economy", 520.0, "EUR", 25),  # 561.6 USD
    # q14 delivered earlier in another file at another price: the later load must win.
    _fare(
        "q14",
        "2026-09-04 08:00:00",
        "BA200",
        "economy",
        999.0,
        "GBP",
        120,
        _source_file="raw-data/fares/2026-09-04/early.csv",
        _loaded_at="2026-09-04 09:00:00",
    ),
]

FIXTURE_AS_OF = "2026-09-09 12:00:00"


class RawFixture:
    """The hand-made RAW rows and a way to write them into a fresh DuckDB warehouse."""

    as_of = FIXTURE_AS_OF

    def schedules(self) -> list[dict[str, Any]]:
        """Return a fresh copy of the RAW.SCHEDULES rows."""
        return copy.deepcopy(_SCHEDULES)

    def fares(self) -> list[dict[str, Any]]:
        """Return a fresh copy of the RAW.FARES rows."""
        return copy.deepcopy(_FARES)

    def create(
        self,
        path: Path,
        schedules: list[dict[str, Any]] | None = None,
        fares: list[dict[str, Any]] | None = None,
    ) -> Path:
        """Create a DuckDB file with the warehouse setup SQL and RAW rows (default: the fixture)."""
        schedules = self.schedules() if schedules is None else schedules
        fares = self.fares() if fares is None else fares
        conn = duckdb.connect(str(path))
        try:
            conn.execute(DUCKDB_SETUP_SQL.read_text())
            for row in schedules:
                row = {"_source_file": SCHEDULE_FILE, "_loaded_at": LOADED_AT, **row}
                _insert(conn, "RAW.SCHEDULES", row)
            for row in fares:
                day = row["observed_at"][:10]
                row = {"_source_file": FARE_FILE.format(day=day), "_loaded_at": LOADED_AT, **row}
                _insert(conn, "RAW.FARES", row)
        finally:
            conn.close()
        return path


def _insert(conn: duckdb.DuckDBPyConnection, table: str, row: dict[str, Any]) -> None:
    columns = ", ".join(row)
    placeholders = ", ".join("?" for _ in row)
    conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", list(row.values()))


def _query(path: Path, sql: str) -> list[dict[str, Any]]:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        cursor = conn.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, values)) for values in cursor.fetchall()]
    finally:
        conn.close()


@pytest.fixture(scope="session")
def raw_fixture() -> RawFixture:
    """The hand-made RAW fixture."""
    return RawFixture()


@pytest.fixture(scope="session")
def query_rows() -> Callable[[Path, str], list[dict[str, Any]]]:
    """Run one read-only query on a DuckDB file and return its rows as dicts."""
    return _query


# Write history, not content: when a row was written, (int_fares_deduplicated) when its
# quote's first version was and (int_schedules_deduplicated) when its flight's capacity last
# changed, both of which a full refresh leaves null (it cannot tell).
WRITE_HISTORY = ("transformed_at", "earliest_version_at", "capacity_changed_at")


def _content_rows(path: Path, table: str) -> list[tuple]:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        columns = [c[0] for c in conn.execute(f"describe {table}").fetchall()]
        kept = ", ".join(c for c in columns if c not in WRITE_HISTORY)
        return conn.execute(f"select {kept} from {table} order by all").fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="session")
def content_rows() -> Callable[[Path, str], list[tuple]]:
    """Return a table's rows without its write-history columns, sorted: what an incremental
    build and a full refresh must agree on."""
    return _content_rows


DbtInvoke = Callable[..., dbtRunnerResult]


@pytest.fixture(scope="session")
def invoke_dbt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DbtInvoke]:
    """Run real dbt on a DuckDB file, writing target/ and logs/ outside the project."""
    counter = iter(range(1_000))

    def invoke(db_path: Path, command: str, *args: str) -> dbtRunnerResult:
        run_dir = tmp_path_factory.mktemp(f"dbt-run-{next(counter)}")
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("FLIGHTPRICE_DUCKDB_PATH", str(db_path))
            return dbtRunner().invoke(
                [
                    command,
                    "--project-dir",
                    str(DBT_PROJECT_DIR),
                    "--profiles-dir",
                    str(DBT_PROJECT_DIR),
                    "--target",
                    "duckdb",
                    "--target-path",
                    str(run_dir / "target"),
                    "--log-path",
                    str(run_dir / "logs"),
                    *args,
                ]
            )

    yield invoke

"""The contract is defined once: every copy agrees with flightprice.contract, at its limits."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import yaml
from api.main import create_app
from api.schemas import PriceRequest
from pydantic import ValidationError

from flightprice import contract
from flightprice.ingest.load import FEED_COLUMNS, RawFile, Rejection, ValidatedFile, validate_file
from flightprice.serve import RequestTableError, request_frame

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt"
HEAVY = ("numpy", "pandas", "pyarrow", "pydantic", "duckdb")


def test_contract_imports_fast_and_light():
    probe = (
        "import sys, time; t = time.perf_counter(); import flightprice.contract; "
        "t = time.perf_counter() - t; "
        f"print(t, *sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    )
    runs = [subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                           check=True).stdout.split() for _ in range(3)]  # fmt: skip
    assert [run[1:] for run in runs] == [[], [], []]  # no heavy library comes with it
    assert min(float(run[0]) for run in runs) < 0.010


# -- dbt ----------------------------------------------------------------------------------


def _cabin_value_tests() -> list[tuple[str, Any]]:
    """Return (model, values) of every accepted_values test on a `cabin` column in dbt."""
    found = []
    for path in sorted((DBT_DIR / "models").rglob("*.yml")):
        for model in yaml.safe_load(path.read_text()).get("models") or []:
            for column in model.get("columns") or []:
                for test in column.get("data_tests") or []:
                    if isinstance(test, dict) and "accepted_values" in test:
                        args = test["accepted_values"].get("arguments", test["accepted_values"])
                        found.append((f"{model['name']}.{column['name']}", args["values"]))
    return found


def test_dbt_cabin_var_is_the_contract_cabins():
    project = yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text())
    assert project["vars"]["cabins"] == list(contract.CABINS)


def test_every_dbt_cabin_check_reads_the_var():
    tests = _cabin_value_tests()
    cabin_tests = [(where, values) for where, values in tests if where.endswith(".cabin")]
    assert len(cabin_tests) >= 6 and len(cabin_tests) == len(tests)
    assert [values for _, values in cabin_tests] == ["{{ var('cabins') }}"] * len(cabin_tests)


def _seed_rates() -> list[dict[str, str]]:
    with (DBT_DIR / "seeds" / "currency_rates.csv").open() as fh:
        return list(csv.DictReader(fh))


def test_currency_seed_converts_exactly_the_contract_currencies():
    seeded = {row["currency"] for row in _seed_rates()}
    assert sorted(seeded) == sorted(contract.CURRENCIES)
    assert len(set(contract.CURRENCIES)) == len(contract.CURRENCIES)


def test_currency_seed_has_a_rate_of_every_currency_each_month_of_the_synthetic_year():
    # The synthetic markets start in 2026 and need no rates feed for the shipped currencies.
    months = {(row["currency"], row["date"][:7]) for row in _seed_rates()}
    wanted = {(c, f"2026-{m:02d}") for c in contract.CURRENCIES for m in range(1, 13)}
    assert wanted <= months
    rows = _seed_rates()
    assert len({(r["date"], r["currency"]) for r in rows}) == len(rows)
    assert all(float(r["rate_to_usd"]) > 0 for r in rows)


# -- the API schema -----------------------------------------------------------------------


def _bound(prop: dict[str, Any], key: str) -> Any:
    """Return `key` of a property, looking inside `anyOf` (optional fields)."""
    options = [prop, *prop.get("anyOf", [])]
    values = [option[key] for option in options if key in option]
    assert len(values) == 1, (key, prop)
    return values[0]


def test_openapi_uses_the_contract(tmp_path, make_settings):
    schemas = create_app(make_settings(tmp_path)).openapi()["components"]["schemas"]
    assert schemas["Cabin"]["enum"] == list(contract.CABINS)
    props = schemas["PriceRequest"]["properties"]
    assert props["cabin"] == {"$ref": "#/components/schemas/Cabin"}
    assert _bound(props["carrier"], "pattern") == contract.CARRIER_PATTERN
    for name in ("origin", "destination"):
        assert _bound(props[name], "pattern") == contract.AIRPORT_PATTERN
    assert _bound(props["flight_number"], "maxLength") == contract.MAX_FLIGHT_NUMBER_LENGTH
    assert _bound(props["stops"], "maximum") == contract.MAX_STOPS
    assert _bound(props["duration_minutes"], "maximum") == contract.MAX_DURATION_MINUTES
    assert _bound(props["seats_remaining"], "maximum") == contract.MAX_SEATS
    assert _bound(props["capacity"], "maximum") == contract.MAX_SEATS
    assert _bound(props["last_price"], "maximum") == contract.MAX_PRICE


# -- ingest validation and request checks, at each limit ----------------------------------

FARE = {
    "quote_id": "Q1",
    "observed_at": "2026-09-01T08:00:00",
    "carrier": "LH",
    "flight_number": "400",
    "origin": "FRA",
    "destination": "JFK",
    "departure_at": "2026-09-15T10:30:00",
    "cabin": "economy",
    "stops": "0",
    "duration_minutes": "510",
    "seats_remaining": "10",
    "price": "420.5",
    "currency": "USD",  # the price limits are USD; ingest converts other currencies first
}
SCHEDULE = {
    "carrier": "LH",
    "flight_number": "400",
    "origin": "FRA",
    "destination": "JFK",
    "departure_at": "2026-09-15T10:30:00",
    "arrival_at": "2026-09-15T19:00:00",
    "cabin": "economy",
    "stops": "0",
    "capacity": "150",
}
REQUEST = {"carrier": "LH", "flight_number": "400", "origin": "FRA", "destination": "JFK",
           "cabin": "economy", "observed_at": "2026-09-01T08:00:00",
           "departure_at": "2026-09-15T10:30:00", "stops": 0, "duration_minutes": 510,
           "seats_remaining": 10, "capacity": 150, "last_price": 420.5}  # fmt: skip

# (raw feed, raw column, request column, the limit or a value inside, a value just outside)
LIMITS = [
    ("fares", "seats_remaining", "seats_remaining", contract.MAX_SEATS, contract.MAX_SEATS + 1),
    ("fares", "seats_remaining", "seats_remaining", 0, -1),
    ("schedules", "capacity", "capacity", contract.MAX_SEATS, contract.MAX_SEATS + 1),
    ("fares", "stops", "stops", contract.MAX_STOPS, contract.MAX_STOPS + 1),
    ("fares", "duration_minutes", "duration_minutes", contract.MAX_DURATION_MINUTES,
     contract.MAX_DURATION_MINUTES + 1),
    ("fares", "duration_minutes", "duration_minutes", contract.MIN_DURATION_MINUTES,
     contract.MIN_DURATION_MINUTES - 1),
    ("fares", "price", "last_price", contract.MAX_PRICE, contract.MAX_PRICE + 0.01),
    ("fares", "cabin", "cabin", contract.CABINS[-1], contract.CABINS[-1].upper()),
    ("fares", "carrier", "carrier", "9W", "9w"),
    ("fares", "origin", "origin", "ZRH", "ZR1"),
]


def _ingest_accepts(feed: str, column: str, value: Any, tmp_path: Path) -> bool:
    row = {**(FARE if feed == "fares" else SCHEDULE), column: str(value)}
    buf = io.StringIO()
    writer = csv.DictWriter(buf, list(FEED_COLUMNS[feed]), lineterminator="\n")
    writer.writeheader()
    writer.writerow(row)
    path = tmp_path / f"{feed}.csv"
    path.write_text(buf.getvalue())
    result = validate_file(RawFile(f"raw-data/{feed}/2026-09-01/x.csv", feed, "csv", "h"), path)
    if isinstance(result, Rejection):
        assert {check.column for check in result.checks} == {column}, result.reason
    return isinstance(result, ValidatedFile)


def _request_frame_accepts(column: str, value: Any) -> bool:
    row = {**REQUEST, column: value}
    for name in ("observed_at", "departure_at"):
        row[name] = datetime.fromisoformat(row[name])
    try:
        request_frame(pa.Table.from_pylist([row]))
    except RequestTableError as exc:
        assert {p.column for p in exc.problems} == {column}, exc
        return False
    return True


def _schema_accepts(column: str, value: Any) -> bool:
    try:
        PriceRequest.model_validate({**REQUEST, column: value})
    except ValidationError as exc:
        assert {e["loc"][0] for e in exc.errors()} == {column}, exc
        return False
    return True


@pytest.mark.parametrize(("feed", "raw_column", "column", "inside", "outside"), LIMITS)
def test_ingest_and_requests_share_each_limit(feed, raw_column, column, inside, outside, tmp_path):
    assert _ingest_accepts(feed, raw_column, inside, tmp_path)
    assert _request_frame_accepts(column, inside)
    assert _schema_accepts(column, inside)
    assert not _ingest_accepts(feed, raw_column, outside, tmp_path)
    assert not _request_frame_accepts(column, outside)
    assert not _schema_accepts(column, outside)


def test_ingest_refuses_a_fare_below_the_plausible_usd_floor(tmp_path):
    # Requests only need a positive price; ingest also refuses a fare under MIN_PRICE_USD.
    assert _ingest_accepts("fares", "price", contract.MIN_PRICE_USD, tmp_path)
    assert not _ingest_accepts("fares", "price", contract.MIN_PRICE_USD - 0.01, tmp_path)


def test_ingest_refuses_a_currency_outside_the_contract(tmp_path):
    for currency in contract.CURRENCIES:
        assert _ingest_accepts("fares", "currency", currency, tmp_path)
    assert not _ingest_accepts("fares", "currency", "XXX", tmp_path)

"""The same fares quoted in USD and in INR (at the dated rate) publish the same USD prices.

Two homes get the same synthetic market; in the second every fare is re-quoted in INR at a
rate that changes in the middle of the market (delivered as a `currency_rates` feed), so
conversion must use the rate of each quote's observation date. Both go through ingest, dbt,
the same training and a local scoring run; FLIGHT_PRICES must agree.
"""

from __future__ import annotations

import shutil
from datetime import date

import pandas as pd
import pytest

from flightprice.ingest.load import load_raw_files
from flightprice.project import init_project
from flightprice.score import run_scoring
from flightprice.store import open_store
from flightprice.transform.dbt import run_dbt
from flightprice.warehouse import open_warehouse

pytestmark = pytest.mark.slow

RATE_BEFORE, RATE_FROM, CHANGE = 0.0120, 0.0113, date(2026, 9, 5)  # USD per INR
PRICES_SQL = """
SELECT flight_id, cabin, price_usd, market_fare_usd FROM ML_PREDICTIONS.FLIGHT_PRICES
ORDER BY flight_id, cabin
"""


def inr_rate(observed_at: pd.Series) -> pd.Series:
    day = pd.to_datetime(observed_at).dt.date
    return day.map(lambda d: RATE_FROM if d >= CHANGE else RATE_BEFORE)


def requote_in_inr(source_lake, target_lake) -> None:
    """Copy the raw files; fares re-quoted in INR; a rates feed with the mid-market change."""
    shutil.copytree(source_lake / "raw-data", target_lake / "raw-data", dirs_exist_ok=True)
    for path in sorted((target_lake / "raw-data" / "fares").rglob("*.csv")):
        fares = pd.read_csv(path, dtype=str, keep_default_na=False)
        assert (fares["currency"] == "USD").all()
        usd = fares["price"].astype("float64")
        fares["price"] = (usd / inr_rate(fares["observed_at"])).map(repr)
        fares["currency"] = "INR"
        fares.to_csv(path, index=False)
    rates = target_lake / "raw-data" / "currency_rates" / "2026-09-01" / "currency_rates.csv"
    rates.parent.mkdir(parents=True)
    rates.write_text(
        f"date,currency,rate_to_usd\n2026-08-01,INR,{RATE_BEFORE}\n"
        f"{CHANGE.isoformat()},INR,{RATE_FROM}\n"
    )


def build_and_score(settings, register_model) -> pd.DataFrame:
    with open_warehouse(settings) as wh:
        report = load_raw_files(open_store(settings), wh, run_id="currency-test")
    assert report.totals["rows_rejected"] == 0 and not report.quarantined, report.to_dict()
    run = run_dbt(settings, ["build", "--exclude", "resource_type:test", "resource_type:unit_test"])
    assert run.success, [n.message for n in run.failed]
    register_model(settings, "v-currency", champion=True)
    run_scoring(settings, mode="local", run_id="scoring-currency")
    with open_warehouse(settings, read_only=True) as wh:
        return wh.query_arrow(PRICES_SQL).to_pandas()


def test_usd_and_inr_quotes_of_the_same_fares_publish_the_same_prices(
    market_template, make_settings, train_and_register, tmp_path
):
    market_settings = make_settings
    usd_home, inr_home = tmp_path / "usd", tmp_path / "inr"
    for home in (usd_home, inr_home):
        init_project(market_settings(home))
    shutil.copytree(market_template / "lake" / "raw-data", usd_home / "lake" / "raw-data",
                    dirs_exist_ok=True)  # fmt: skip
    requote_in_inr(market_template / "lake", inr_home / "lake")

    usd = build_and_score(market_settings(usd_home), train_and_register)
    inr = build_and_score(market_settings(inr_home), train_and_register)
    with open_warehouse(market_settings(inr_home), read_only=True) as wh:
        currencies = wh.query_arrow(
            "SELECT DISTINCT currency FROM ANALYTICS.FCT_FARE_OBSERVATION"
        ).column("currency").to_pylist()

    assert currencies == ["INR"]
    assert len(usd) > 100 and usd[["flight_id", "cabin"]].equals(inr[["flight_id", "cabin"]])
    pd.testing.assert_series_equal(inr["market_fare_usd"], usd["market_fare_usd"], rtol=1e-6)
    assert (inr["price_usd"] - usd["price_usd"]).abs().max() <= 0.01

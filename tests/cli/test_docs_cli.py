"""`flightprice docs`: dbt's docs site from a built warehouse, with the exposures, then served."""

from __future__ import annotations

import json
import threading

import httpx
import pytest
from typer.testing import CliRunner

from flightprice.cli import app
from flightprice.transform.docs import serve_docs

pytestmark = pytest.mark.slow


def test_docs_builds_the_site_into_the_home_and_serves_it(market_home):
    from moto_aws import free_port

    ran = CliRunner().invoke(app, ["--home", str(market_home), "docs", "--no-serve", "--json"])
    assert ran.exit_code == 0, ran.output
    site = json.loads(ran.stdout)
    assert site["folder"].startswith(str(market_home.resolve()))
    assert site["exposures"] == 3 and site["models"] >= 15
    assert site["undescribed_columns"] == []  # dbt's own catalog agrees: every column described
    manifest = json.loads((market_home / "dbt" / "target" / "manifest.json").read_text())
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    assert set(exposures) == {"fare_model", "pricing_api", "batch_scoring"}
    assert exposures["batch_scoring"]["depends_on"]["nodes"] == [
        "model.flightprice.ml_scoring_features"
    ]

    port = free_port()
    server = serve_docs(market_home / "dbt" / "target", "127.0.0.1", port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        index = httpx.get(f"http://127.0.0.1:{port}/index.html", timeout=10)
        catalog = httpx.get(f"http://127.0.0.1:{port}/catalog.json", timeout=10)
    finally:
        server.shutdown()
        server.server_close()
    assert index.status_code == 200 and "dbt" in index.text.lower()
    assert "ml_scoring_features" in catalog.text  # the catalog read the warehouse

"""Every column of every dbt model, as built, has a description (what `flightprice docs` shows)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from flightprice.transform.docs import undescribed_columns

MODELS_DIR = Path(__file__).resolve().parents[2] / "dbt" / "models"


def _warehouse_catalog(manifest: dict, warehouse_path: Path) -> dict:
    """Return the models' built columns in the shape of dbt's catalog.json.

    `dbt docs generate` would write the real catalog, at the cost of another dbt run; the
    warehouse's information schema holds the same columns (tests/cli/test_docs_cli.py checks
    the real catalog, in the slow tier).
    """
    conn = duckdb.connect(str(warehouse_path), read_only=True)
    try:
        rows = conn.execute(
            "SELECT lower(table_schema), lower(table_name), column_name "
            "FROM information_schema.columns ORDER BY ordinal_position"
        ).fetchall()
    finally:
        conn.close()
    relations = {
        (node["schema"].lower(), (node.get("alias") or node["name"]).lower()): unique_id
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
    }
    nodes: dict[str, dict] = {}
    for schema, table, column in rows:
        if (unique_id := relations.get((schema, table))) is not None:
            nodes.setdefault(unique_id, {"columns": {}})["columns"][column] = {"name": column}
    return {"nodes": nodes}


def test_every_built_model_column_has_a_description(market_template):
    # market_template ran `dbt build` (models, no tests): its manifest holds the YAML as
    # parsed (doc blocks rendered) and its warehouse the relations as built, so a column
    # added in SQL but not in YAML shows here although dbt itself never complains.
    manifest = json.loads((market_template / "dbt" / "target" / "manifest.json").read_text())
    catalog = _warehouse_catalog(manifest, market_template / "warehouse.duckdb")
    models = {
        n["name"]: uid for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"
    }

    assert set(models) == {path.stem for path in MODELS_DIR.rglob("*.sql")}
    assert set(catalog["nodes"]) == set(models.values()), "a model has no relation"
    assert undescribed_columns(manifest, catalog) == []

    stale = [
        f"{manifest['nodes'][uid]['name']}.{column}"
        for uid in models.values()
        for column in manifest["nodes"][uid]["columns"]
        if column.lower() not in {c.lower() for c in catalog["nodes"][uid]["columns"]}
    ]
    assert stale == [], "described columns the model does not have"

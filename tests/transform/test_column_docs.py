"""Every column of every dbt model, as built, has a description (what `flightprice docs` shows)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

MODELS_DIR = Path(__file__).resolve().parents[2] / "dbt" / "models"


def _described_columns(manifest_path: Path) -> dict[tuple[str, str], dict[str, str]]:
    """Map (schema, relation) of each model to its YAML column descriptions by column name."""
    manifest = json.loads(manifest_path.read_text())
    models = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model":
            continue
        key = (node["schema"].lower(), (node.get("alias") or node["name"]).lower())
        models[key] = {
            name.lower(): (column.get("description") or "").strip()
            for name, column in node["columns"].items()
        }
    return models


def _built_columns(warehouse_path: Path) -> dict[tuple[str, str], list[str]]:
    """Map (schema, relation) to the columns the build actually created."""
    conn = duckdb.connect(str(warehouse_path), read_only=True)
    try:
        rows = conn.execute(
            "SELECT lower(table_schema), lower(table_name), lower(column_name) "
            "FROM information_schema.columns ORDER BY ordinal_position"
        ).fetchall()
    finally:
        conn.close()
    built: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in rows:
        built.setdefault((schema, table), []).append(column)
    return built


def test_every_built_model_column_has_a_description(market_template):
    # market_template ran `dbt build` (models, no tests): its manifest holds the YAML as
    # parsed and its warehouse the relations as built, so a column added in SQL but not in
    # YAML shows here even though dbt itself never complains.
    described = _described_columns(market_template / "dbt" / "target" / "manifest.json")
    built = _built_columns(market_template / "warehouse.duckdb")
    sql_models = {path.stem for path in MODELS_DIR.rglob("*.sql")}
    assert {table for _, table in described} == sql_models

    missing = [
        f"{table}.{column}"
        for (schema, table), descriptions in sorted(described.items())
        for column in built.get((schema, table), [])
        if not descriptions.get(column)
    ]
    unbuilt = [f"{schema}.{table}" for schema, table in described if (schema, table) not in built]
    stale = [
        f"{table}.{column}"
        for (schema, table), descriptions in sorted(described.items())
        if (schema, table) in built
        for column in descriptions
        if column not in built[(schema, table)]
    ]
    assert not unbuilt, f"models without a relation in the warehouse: {unbuilt}"
    assert not missing, f"{len(missing)} model columns lack a description: {missing}"
    assert not stale, f"described columns the model does not have: {stale}"

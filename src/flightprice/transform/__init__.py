"""Transform: dbt builds the staging, marts and ML tables; data quality goes to DATA_QUALITY_LOG."""

from flightprice._exports import lazy_exports

_EXPORTS = {
    "transform": ".quality",
    "run_dbt": ".dbt",
    "dbt_command": ".dbt",
    "dbt_env": ".dbt",
    "DbtError": ".dbt",
    "DbtRun": ".dbt",
    "DBT_STEPS": ".dbt",
    "without_unit_tests": ".dbt",
    "run_quality_checks": ".quality",
    "latest_quality": ".quality",
    "measure_quality": ".quality",
    "write_quality_rows": ".quality",
    "quality_row": ".quality",
    "dbt_quality_rows": ".quality",
    "QualitySummary": ".quality",
}

__all__ = [*_EXPORTS]  # noqa: PLE0604 (the names of the lazy exports above)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

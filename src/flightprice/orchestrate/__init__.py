"""Orchestrate: retries, notifications, one DuckDB writer at a time, and local scheduling."""

from flightprice._exports import lazy_exports

_EXPORTS = {
    "task_retries": ".retries",
    "notify": ".notify",
    "message": ".notify",
    "warehouse_writer": ".writer_slot",
    "WRITER_LIMIT": ".writer_slot",
    "WORK_POOL": ".schedule",
    "monitoring_snapshot": ".status",
    "notify_flow_state": ".hooks",
    "run_name": ".hooks",
    "run_flow": ".runs",
    "engine_flow": ".engine_flow",
    "EngineFlow": ".engine_flow",
}

__all__ = [*_EXPORTS]  # noqa: PLE0604 (the names of the lazy exports above)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

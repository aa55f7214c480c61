"""Revenue: simulated customers, demand estimation, pricing policies and the simulator."""

from flightprice._exports import lazy_exports

_EXPORTS = {
    "MarketParams": ".demand",
    "Segment": ".demand",
    "SEGMENTS": ".demand",
    "Market": ".demand",
    "Customers": ".demand",
    "build_market": ".demand",
    "draw_customers": ".demand",
    "sell_day": ".demand",
    "DemandModel": ".estimate",
    "HISTORY_COLUMNS": ".estimate",
    "fit_demand": ".estimate",
    "fit_from_warehouse": ".fitted",
    "load_demand_history": ".fitted",
    "NoDemandHistoryError": ".fitted",
    "run_demand_fit": ".fitted",
    "ServedDemand": ".demand_store",
    "emsr_b": ".emsr",
    "POLICIES": ".policies",
    "Policy": ".policies",
    "build_policy": ".policies",
    "PolicyRun": ".simulator",
    "Simulation": ".simulator",
    "compare": ".simulator",
    "learning_history": ".simulator",
    "run_policy": ".simulator",
    "simulate": ".simulator",
}

__all__ = [*_EXPORTS]  # noqa: PLE0604 (the names of the lazy exports above)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

"""Revenue simulation: two pricing policies on the same simulated customers, as a Prefect flow."""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from flightprice.revenue.report import result_dict, summary_markdown, write_report
from flightprice.revenue.simulator import simulate
from flightprice.settings import get_settings


@flow(name="revenue-simulation")
def revenue_simulation(
    policy: str = "optimal", vs: str = "rule", flights: int = 200, seeds: int = 5
) -> dict:
    """Simulate, write the HTML report, publish the summary and per-policy table as artifacts."""
    logger = get_run_logger()
    settings = get_settings()
    sim = simulate((policy, vs), flights=flights, seeds=seeds, pricing=settings.pricing,
                   progress=logger.info)  # fmt: skip
    result = result_dict(sim, policy, vs)
    result["report"] = str(write_report(sim, result, settings.home / "reports" / "simulate"))
    create_markdown_artifact(key="revenue-simulation", markdown=summary_markdown(result),
                             description=f"{policy} vs {vs}")  # fmt: skip
    rows = [{"policy": name, **totals} for name, totals in result["policies"].items()]
    create_table_artifact(key="revenue-by-policy", table=rows, description="per-policy totals")
    return result


if __name__ == "__main__":
    revenue_simulation()

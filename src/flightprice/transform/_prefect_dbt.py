"""prefect-dbt's runner with each dbt node's task run named by its id: `model.fct_fare_observation`."""

from __future__ import annotations

from typing import Any

from prefect_dbt import PrefectDbtRunner


class NamedNodeRunner(PrefectDbtRunner):
    """Name each node's task run `<resource type>.<name>`, like dbt's own unique ids.

    prefect-dbt names them `model fct_fare_observation`; the dotted form is what dbt's
    `--select` and its logs use, so the dashboard and the command line read alike.
    """

    def _create_task_options(self, manifest_node: Any, upstream_assets: Any = None) -> Any:
        options = super()._create_task_options(manifest_node, upstream_assets)
        kind = str(getattr(manifest_node.resource_type, "value", manifest_node.resource_type))
        options["task_run_name"] = f"{kind.lower()}.{manifest_node.name or manifest_node.unique_id}"
        return options

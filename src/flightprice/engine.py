"""The compute engine: this process (`local`) or a Dask cluster (`dask`), for training and scoring.

`FLIGHTPRICE_ENGINE=dask` with `FLIGHTPRICE_DASK_ADDRESS` connects to an existing scheduler
(Dask on ECS or Kubernetes); without an address a run starts a `distributed.LocalCluster` of
`FLIGHTPRICE_DASK_WORKERS` single-threaded worker processes and closes it at the end. Dask
is imported here, on use only: `flightprice --help` and the local engine never load it.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from distributed import Client

    from flightprice.settings import Settings

log = logging.getLogger(__name__)


def local_cluster_kwargs(settings: Settings) -> dict[str, Any]:
    """Return the LocalCluster arguments: N worker processes of one thread, dashboard on any port."""
    # One thread per process: XGBoost and pandas release the GIL unevenly, and processes
    # behave like the separate machines of a real cluster.
    return {"n_workers": settings.dask_workers, "threads_per_worker": 1, "processes": True,
            "dashboard_address": ":0"}  # fmt: skip


@contextlib.contextmanager
def dask_client(settings: Settings) -> Iterator[Client]:
    """Yield a client of the configured cluster; a LocalCluster started here closes on exit.

    Inside a Dask task (the scoring flow under prefect-dask's DaskTaskRunner) it is that
    task's cluster, reached through `worker_client`, which frees the task's thread meanwhile.
    """
    # Deferred: distributed takes ~1 s to import and only the dask engine needs it.
    from distributed import Client, LocalCluster, get_worker, worker_client

    if _in_worker(get_worker):
        with worker_client() as client:
            yield client
        return
    if settings.dask_address:
        with Client(settings.dask_address) as client:
            log.info("dask: connected to %s", settings.dask_address)
            yield client
        return
    with LocalCluster(**local_cluster_kwargs(settings)) as cluster, Client(cluster) as client:
        log.info("dask: started a LocalCluster of %d workers", settings.dask_workers)
        yield client


def _in_worker(get_worker: Any) -> bool:
    try:
        get_worker()
    except ValueError:  # not inside a Dask worker
        return False
    return True


def scoring_task_runner(flow_module: str | None = None, settings: Settings | None = None) -> Any:
    """Return the scoring flow's task runner: prefect-dask's DaskTaskRunner on the dask engine.

    None on the local engine (the flow keeps Prefect's default). The runner starts its
    cluster when the flow starts, not here. `flow_module` (the flow file, loaded by path) is
    shipped to the workers by value: they cannot import it by name.
    """
    # Deferred: settings read fresh (the flow file is the edge; no cached getter filled here).
    from flightprice.settings import Settings

    settings = settings or Settings()
    if settings.engine != "dask":
        return None
    # Deferred: prefect-dask imports distributed.
    import cloudpickle
    from prefect_dask import DaskTaskRunner

    if flow_module in sys.modules:
        cloudpickle.register_pickle_by_value(sys.modules[flow_module])

    if settings.dask_address:
        return DaskTaskRunner(address=settings.dask_address)
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster", cluster_kwargs=local_cluster_kwargs(settings)
    )

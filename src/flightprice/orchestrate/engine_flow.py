"""A Prefect flow whose task runner follows FLIGHTPRICE_ENGINE when it runs, not when defined.

A flow file is imported once by a long-lived process (`flow.serve()`, a test session, the
`flightprice run` harness); a task runner built at import time would keep the engine of
that moment. `EngineFlow` asks `flightprice.engine.scoring_task_runner` each time Prefect
reads `flow.task_runner` (when a run starts), so a changed setting applies to the next run.
A runner given explicitly (`flow.with_options(task_runner=...)`) returns a plain `Flow`
and wins.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect import Flow

from flightprice.engine import scoring_task_runner


class EngineFlow(Flow):
    """A flow run on the configured engine: Dask's task runner, or the flow's default."""

    @property
    def task_runner(self) -> Any:
        # fn.__module__ is the flow file: shipped to Dask workers by value (they cannot import it).
        return scoring_task_runner(self.fn.__module__) or self._default_task_runner

    @task_runner.setter
    def task_runner(self, runner: Any) -> None:
        # Flow.__init__ assigns Prefect's default runner (or the one passed) here.
        self._default_task_runner = runner


def engine_flow(**options: Any) -> Callable[[Callable[..., Any]], EngineFlow]:
    """Decorate a function into an `EngineFlow`, with `prefect.flow`'s keyword options."""

    def decorate(fn: Callable[..., Any]) -> EngineFlow:
        return EngineFlow(fn=fn, **options)

    return decorate

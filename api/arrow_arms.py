"""An Arrow batch under an experiment: each row priced by its flight's arm, marked and logged.

The JSON paths go through `ArmRouter.__call__` (one request object per flight); an Arrow batch
is a frame of up to FLIGHTPRICE_API_ARROW_BATCH_LIMIT rows, so the router prices it as a frame
(`ArmRouter.quote_frame`) and this puts the parts back in row order with two more columns:
`arm` and `model_version` (a model challenger's rows carry its version). The schema metadata
and the X-Model-Version header keep the champion's version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from fastapi.exceptions import RequestValidationError

from flightprice.experiment.serving import ArmRouter, QuoteRows
from flightprice.serve.quoting import MODEL_VERSION_KEY, POLICY_KEY


def priced_by_arm(
    arms: ArmRouter,
    model: Any,
    frame: pd.DataFrame,
    mark_refused: bool,
    quote_rows: QuoteRows,
    refused_columns: Callable[[Any, np.ndarray], list[dict[str, Any]]],
) -> pa.Table:
    """Return the priced table of `frame`, row for row, with `arm` and `model_version`."""
    parts = arms.quote_frame(model, frame, quote_rows)
    if not mark_refused:
        errors = [e for rows, _, q in parts if q.refused.any() for e in refused_columns(q, rows)]
        if errors:
            raise RequestValidationError(errors)
    tables, policies = [], set()
    for _, arm, quotes in parts:
        table = quotes.to_arrow(mark_refused).replace_schema_metadata(None)
        table = table.append_column("arm", pa.array(arm.astype(str), pa.string()))
        version = pa.array([quotes.model_version] * len(arm), pa.string())
        tables.append(table.append_column("model_version", version))
        policies |= set(quotes.policies)
    order = np.argsort(np.concatenate([rows for rows, _, _ in parts]), kind="stable")
    priced = pa.concat_tables(tables).take(pa.array(order))
    return priced.replace_schema_metadata(
        {MODEL_VERSION_KEY: str(model.version).encode(),
         POLICY_KEY: ",".join(sorted(policies)).encode()}
    )  # fmt: skip

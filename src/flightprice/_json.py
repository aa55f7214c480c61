"""JSON for stored metadata and log columns: NaN and infinities become null."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np


def dumps(data: Any, indent: int | None = None) -> str:
    """Serialise `data`; a metric that could not be computed is recorded as null."""
    return json.dumps(finite(data), indent=indent, sort_keys=True, allow_nan=False)


def finite(value: Any) -> Any:
    """Return `value` with numpy scalars unwrapped and non-finite floats replaced by None."""
    if isinstance(value, Mapping):
        return {str(k): finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value

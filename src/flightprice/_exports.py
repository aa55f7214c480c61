"""Stage packages re-export their public names lazily (PEP 562).

A stage's ``__init__`` names what it offers and from which module; the module is imported on
first use. ``flightprice --help`` therefore loads no stage (and no numpy, pandas or xgboost),
and a stage importing another's submodule never runs that stage's whole ``__init__``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return a package's ``__getattr__`` and ``__dir__`` for ``{name: ".module"}``."""

    def __getattr__(name: str) -> Any:
        try:
            module = exports[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        return getattr(importlib.import_module(module, package), name)

    def __dir__() -> list[str]:
        return sorted(exports)

    return __getattr__, __dir__

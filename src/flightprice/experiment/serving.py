"""Price each request with its flight's arm, mark the quote with the arm, log the assignment.

`ArmRouter` wraps the API's "price many requests with a model" function, so the one pricing
path stays the only one. A pricing-policy challenger shares the champion's model, so a batch
holding both arms is priced in one call with one policy per row (each call pays the model's
fixed cost: two calls made a mixed batch of 16 cost 1.8x a bare one, `bench_experiment.py`).
A model-version challenger needs its own model: the batch is split by arm, each part priced
by that arm's model, and the parts put back in order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from flightprice.experiment.arms import Experiment, flight_id
from flightprice.experiment.assignments import AssignmentLog

log = logging.getLogger(__name__)

PriceMany = Callable[[Any, list[Any]], list[Any]]
"""(model, requests) -> one quote body (a dict) or an error per request, in order."""
PricePolicy = Callable[[Any, list[Any], Any], list[Any]]
"""(model, requests, policy names, one per request) -> as PriceMany, priced with those."""
QuoteRows = Callable[[Any, pd.DataFrame, Any], Any]
"""(model, request frame, policy name or one per row) -> serve.quoting.Quotes."""


class ArmRouter:
    """A PriceMany that prices the challenger's share of flights with the challenger.

    `challenger_model` returns the challenger's loaded model (a model-version experiment),
    or None while it cannot be loaded: its flights are then priced, marked and logged as the
    champion's, so the log says what really priced each quote.
    """

    def __init__(
        self,
        experiment: Experiment,
        price_many: PriceMany,
        assignments: AssignmentLog,
        challenger_model: Callable[[], Any] | None = None,
        price_policy: PricePolicy | None = None,
        champion_policy: str = "rule",
    ) -> None:
        if experiment.kind == "policy" and price_policy is None:
            raise ValueError("a policy challenger needs `price_policy`")
        if experiment.kind == "model" and challenger_model is None:
            raise ValueError("a model challenger needs `challenger_model`")
        self.experiment = experiment
        self._price_many = price_many
        self._price_policy = price_policy
        self._challenger_model = challenger_model
        self._champion_policy = champion_policy
        self.assignments = assignments

    def __call__(self, model: Any, requests: list[Any]) -> list[Any]:
        ids = [_flight_of(r) for r in requests]
        wanted = [self.experiment.is_challenger(f) for f in ids]
        if self.experiment.kind == "policy":
            arms = ["challenger" if w else "champion" for w in wanted]
            policies = np.array([self.experiment.challenger if w else self._champion_policy
                                 for w in wanted], dtype=object)  # fmt: skip
            results = self._price_policy(model, requests, policies)
            for arm, result in zip(arms, results, strict=True):
                if isinstance(result, dict):
                    result["arm"] = arm
            self._log(requests, ids, arms, results)
            return results
        challenger = self._challenger_pricer() if any(wanted) else None
        arms = ["challenger" if w and challenger is not None else "champion" for w in wanted]
        results: list[Any] = [None] * len(requests)
        for arm in ("champion", "challenger"):
            index = [i for i, a in enumerate(arms) if a == arm]
            if not index:
                continue
            part = [requests[i] for i in index]
            priced = self._price_many(model, part) if arm == "champion" else challenger(model, part)
            for i, result in zip(index, priced, strict=True):
                if isinstance(result, dict):
                    result["arm"] = arm
                results[i] = result
        self._log(requests, ids, arms, results)
        return results

    def quote_frame(
        self, model: Any, frame: pd.DataFrame, quote_rows: QuoteRows
    ) -> list[tuple[np.ndarray, np.ndarray, Any]]:
        """Price a request frame (an Arrow batch) by arm; log it; return its parts.

        Each part is (row positions in `frame`, arm of each, its `Quotes`): one part for a
        policy experiment (one call, one policy per row), one per arm for a model experiment.
        """
        ids = [flight_id(_text(r.carrier), _text(r.flight_number), r.departure_at,
                         _text(r.origin), _text(r.destination))
               for r in frame.itertuples(index=False)]  # fmt: skip
        wanted = np.array([self.experiment.is_challenger(f) for f in ids], dtype=bool)
        if self.experiment.kind == "policy":
            policies = np.where(wanted, self.experiment.challenger, self._champion_policy)
            parts = [(np.arange(len(frame)), np.where(wanted, "challenger", "champion"),
                      quote_rows(model, frame, policies.astype(object)))]  # fmt: skip
        else:
            challenger = self._challenger_model() if wanted.any() else None
            wanted &= challenger is not None
            parts = []
            for arm, rows, arm_model in (("champion", ~wanted, model),
                                         ("challenger", wanted, challenger)):  # fmt: skip
                index = np.flatnonzero(rows)
                if len(index):
                    part = frame.iloc[index].reset_index(drop=True)
                    quotes = quote_rows(arm_model, part, self._champion_policy)
                    parts.append((index, np.full(len(index), arm, dtype=object), quotes))
        self._log_parts(parts, ids, frame["cabin"].to_numpy(dtype=object))
        return parts

    def _log_parts(self, parts: list, ids: list[str], cabins: np.ndarray) -> None:
        """Log the priced (not refused) rows of a frame's parts."""
        self._append([
            self._assignment(ids[i], str(cabins[i]), str(arm), quotes.model_version,
                             float(quotes.result.price[j]))
            for index, arms, quotes in parts
            for j, (i, arm) in enumerate(zip(index, arms, strict=True))
            if not quotes.refused[j]
        ])  # fmt: skip

    def _challenger_pricer(self) -> PriceMany | None:
        challenger = self._challenger_model()
        if challenger is None:
            return None
        return lambda _champion, part: self._price_many(challenger, part)

    def _log(
        self, requests: Sequence[Any], ids: list[str], arms: list[str], results: list[Any]
    ) -> None:
        self._append([
            self._assignment(flight, _cabin(request), arm, result.get("model_version"),
                             result.get("price"))
            for request, flight, arm, result in zip(requests, ids, arms, results, strict=True)
            if isinstance(result, dict)
        ])  # fmt: skip

    def _assignment(
        self, flight: str, cabin: str, arm: str, version: Any, price: Any
    ) -> dict[str, Any]:
        return {"experiment": self.experiment.name, "flight_id": flight, "cabin": cabin,
                "arm": arm, "challenger": self.experiment.challenger,
                "model_version": version, "price": price}  # fmt: skip

    def _append(self, rows: list[dict[str, Any]]) -> None:
        try:
            self.assignments.append(rows)
        except OSError:  # a full disk must not fail quotes; the report counts what it finds
            log.exception("could not log %d experiment assignments", len(rows))


def _flight_of(request: Any) -> str:
    return flight_id(request.carrier, request.flight_number, request.departure_at,
                     request.origin, request.destination)  # fmt: skip


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""  # an Arrow null arrives as None or NaN


def _cabin(request: Any) -> str:
    cabin = request.cabin
    return getattr(cabin, "value", cabin)

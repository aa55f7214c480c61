"""The honest time split: the holdout is the latest whole days, sized to the data."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from flightprice.features import TIME_COLUMN

DEFAULT_HOLDOUT_DAYS = 7
DEFAULT_HOLDOUT_MAX_SHARE = 0.2


class InsufficientDataError(ValueError):
    """Too few rows to train on or to evaluate with; `hint` says which setting to change."""

    def __init__(self, found: str, hint: str) -> None:
        super().__init__(f"{found}; {hint}")
        self.hint = hint


class TimeSplit(NamedTuple):
    train: pd.DataFrame
    holdout: pd.DataFrame
    cutoff: pd.Timestamp
    days: int = 0  # calendar days held out


def split_by_time(frame: pd.DataFrame, holdout_days: int) -> TimeSplit:
    """Split into rows observed before the cutoff and the last `holdout_days` calendar days."""
    if holdout_days < 1:
        raise ValueError(f"holdout_days must be at least 1, got {holdout_days}")
    observed = pd.to_datetime(frame[TIME_COLUMN])
    cutoff = observed.max().normalize() + pd.Timedelta(days=1 - holdout_days)
    if observed.is_monotonic_increasing:
        # The warehouse returns the rows in time order: cut by position. A boolean mask
        # copied every column of 1M rows (~0.9 s of a training run's overhead beyond bare).
        at = int(observed.searchsorted(cutoff, side="left"))
        return TimeSplit(frame.iloc[:at], frame.iloc[at:], cutoff, holdout_days)
    later = (observed >= cutoff).to_numpy()
    return TimeSplit(frame.loc[~later], frame.loc[later], cutoff, holdout_days)


def choose_holdout(
    frame: pd.DataFrame,
    max_days: int = DEFAULT_HOLDOUT_DAYS,
    max_share: float = DEFAULT_HOLDOUT_MAX_SHARE,
) -> TimeSplit:
    """Hold out the most whole last days, up to `max_days`, that stay within `max_share` of rows.

    A short or dense feed gets fewer days; never fewer than one (the floor), so a feed whose
    last day alone exceeds the share still holds that day out (`train_model` then checks
    that enough rows remain on each side).
    """
    if max_days < 1 or not 0 < max_share <= 1:
        raise ValueError(f"need max_days >= 1 and 0 < max_share <= 1: {max_days}, {max_share}")
    observed = pd.to_datetime(frame[TIME_COLUMN])
    if observed.empty:
        return split_by_time(frame, max_days)
    age = (observed.max().normalize() - observed.dt.normalize()).dt.days.to_numpy()
    rows_within = np.bincount(age[age < max_days], minlength=max_days).cumsum()
    fits = np.flatnonzero(rows_within <= max_share * len(frame))
    return split_by_time(frame, int(fits[-1]) + 1 if len(fits) else 1)


def empty_training_data(holdout_days: int, table: str = "the training frame") -> InsufficientDataError:
    """Return the error for a training run that found no rows at all."""
    return InsufficientDataError(
        f"{table} has 0 rows", f"ingest and transform more days than "
        f"FLIGHTPRICE_HOLDOUT_DAYS (now {holdout_days}) before training")


def too_few_rows(split: TimeSplit, holdout_days: int, max_share: float) -> InsufficientDataError:
    observed = pd.to_datetime(pd.concat([split.train, split.holdout])[TIME_COLUMN])
    first, last = observed.min(), observed.max()
    days = (last.normalize() - first.normalize()).days + 1
    found = (f"the time split at {split.cutoff:%Y-%m-%d} leaves {len(split.train):,} train and "
             f"{len(split.holdout):,} holdout rows (need data on both sides, 2+ train rows): "
             f"{len(observed):,} rows over {days} day(s), {first:%Y-%m-%d} to {last:%Y-%m-%d}, "
             f"and the holdout is the last {split.days} day(s) (at most "
             f"FLIGHTPRICE_HOLDOUT_DAYS={holdout_days} days and, beyond one day, "
             f"FLIGHTPRICE_HOLDOUT_MAX_SHARE={max_share:g} of the rows)")
    hint = (f"set FLIGHTPRICE_HOLDOUT_DAYS below {days} or load more days" if days > 1
            else "load more days: the training part needs days before the holdout "
                 "(FLIGHTPRICE_HOLDOUT_DAYS)")
    return InsufficientDataError(found, hint)

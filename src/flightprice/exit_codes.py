"""The process exit codes of every command and flow (the README's table)."""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ExitCode"]


class ExitCode(IntEnum):
    """Why a command ended; the higher ingest code wins when both apply."""

    OK = 0
    FAILED = 1
    CONFIG = 2  # usage or configuration error; the message names the variable
    QUARANTINED = 3  # ingest quarantined at least one file; the others loaded
    LOAD_FAILED = 4  # a valid file failed to load; the next run retries it
    DBT_FAILED = 5  # a dbt model or test failed
    QUALITY_FAILED = 6  # a data-quality check failed
    TRAINING_SKIPPED = 7  # training skipped by the data-quality gate

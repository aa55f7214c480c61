"""An MLflow SQLite store migrated once per session; each test copies it into its home."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def mlflow_template(tmp_path_factory) -> Path:
    """A migrated, empty MLflow database (creating one runs ~15 s of Alembic migrations)."""
    from mlflow import MlflowClient

    path = tmp_path_factory.mktemp("mlflow") / "mlflow.db"
    MlflowClient(f"sqlite:///{path}").search_experiments()
    return path


@pytest.fixture
def tracked(mlflow_template, make_settings):
    """`tracked(home, **overrides)`: settings with tracking on, the store copied in."""

    def settings_for(home: Path, **overrides):
        (home / "mlflow").mkdir(parents=True, exist_ok=True)
        shutil.copy(mlflow_template, home / "mlflow" / "mlflow.db")
        return make_settings(home, mlflow_tracking=True, **overrides)

    return settings_for

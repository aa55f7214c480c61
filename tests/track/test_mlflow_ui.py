"""`flightprice ui mlflow`: the command it runs, and a tracking server it only names."""

from __future__ import annotations

from typer.testing import CliRunner

from flightprice.cli import app
from flightprice.track import mlflow_ui_command, tracking_uri


def test_the_ui_serves_the_home_store_on_localhost(settings):
    command = mlflow_ui_command(settings, 5123)
    assert command[command.index("--backend-store-uri") + 1] == tracking_uri(settings)
    assert tracking_uri(settings) == f"sqlite:///{(settings.home / 'mlflow').resolve()}/mlflow.db"
    assert command[command.index("--host") + 1 :][:3] == ["127.0.0.1", "--port", "5123"]


def test_with_a_tracking_server_it_names_the_server(settings, monkeypatch):
    monkeypatch.setenv("FLIGHTPRICE_MLFLOW_URI", "http://mlflow.internal:5000")
    result = CliRunner().invoke(app, ["--home", str(settings.home), "ui", "mlflow"])
    assert result.exit_code == 0
    assert "open http://mlflow.internal:5000" in result.output

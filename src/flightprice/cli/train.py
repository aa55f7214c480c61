"""Model commands: train, compare, and `models list | show | promote | rollback`."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from flightprice.cli._common import (
    JsonOption,
    console,
    err_console,
    fail,
    guard,
    initialised_settings,
    print_json,
    progress_bar,
)
from flightprice.clock import new_run_id
from flightprice.exit_codes import ExitCode

METRIC_ROWS = (("MAPE", "mape", "{:.2%}"), ("MAPE < 7 days", "mape_dtd_lt_7", "{:.2%}"),
               ("MAE (USD)", "mae", "{:,.2f}"), ("RMSE (USD)", "rmse", "{:,.2f}"),
               ("R²", "r2", "{:.4f}"), ("rows", "rows", "{:,}"))
BASELINE_LABELS = {"route_cabin_median": "route×cabin median",
                   "route_cabin_dtd_median": "route×cabin×days median"}


def metrics_table(columns: dict[str, dict[str, Any] | None], title: str) -> Table:
    """Render models side by side: one column per model, one row per metric.

    A metric that could not be computed shows "–"; the caption says why.
    """
    notes = [f"{name}, {key}: {why}" for name, metrics in columns.items()
             for key, why in ((metrics or {}).get("null_reasons") or {}).items()]
    table = Table(title=title, title_justify="left", caption="\n".join(notes) or None,
                  caption_justify="left")
    table.add_column("metric")
    for name in columns:
        table.add_column(name, justify="right")
    for label, key, fmt in METRIC_ROWS:
        cells = []
        for metrics in columns.values():
            value = (metrics or {}).get(key)
            cells.append("–" if value is None else fmt.format(value))
        table.add_row(label, *cells)
    return table


def _open(settings):
    from flightprice.store import open_store  # deferred: keeps --help fast
    from flightprice.warehouse import open_warehouse  # deferred: keeps --help fast

    return open_warehouse(settings), open_store(settings)


def train(
    ctx: typer.Context,
    compare: Annotated[bool, typer.Option("--compare", help="Compare with the champion.")] = False,
    promote: Annotated[
        bool, typer.Option("--promote", help="Promote the challenger if it is better.")
    ] = False,
    quality_gate: Annotated[
        bool, typer.Option(help="Skip training when the latest data-quality run failed.")
    ] = True,
    json_out: JsonOption = False,
) -> None:
    """Train a challenger on ML_TRAINING_FEATURES (time-based holdout) and register it.

    The first model ever trained becomes champion. With --compare it is scored against the
    champion on the same holdout rows and the decision is printed; with --promote a better
    challenger becomes champion. Exit code 7 when the quality gate skipped training. The
    progress bar counts early stopping's rounds, then the refit's (which starts beside early
    stopping and ends at the rounds early stopping chose).
    FLIGHTPRICE_ENGINE=dask trains with xgboost.dask on a Dask cluster (FLIGHTPRICE_DASK_ADDRESS,
    or a LocalCluster of FLIGHTPRICE_DASK_WORKERS processes).
    """
    from flightprice.train.run import run_training  # deferred: keeps --help fast

    settings = initialised_settings(ctx)
    warehouse, store = _open(settings)
    with guard(), warehouse, progress_bar("boosting rounds", enabled=not json_out) as progress:
        try:
            outcome = run_training(settings, warehouse, store, run_id=new_run_id("train"),
                                   compare=compare or promote, promote=promote,
                                   check_quality=quality_gate, progress=progress)
        except Exception as exc:  # noqa: BLE001 - logged in TRAINING_LOG already; exit 1
            raise fail(f"training failed: {exc}", cause=exc) from None
    if json_out:
        # Skipped by the gate is an outcome of its own (status "skipped"), not an error.
        skipped = {"exit_code": int(ExitCode.TRAINING_SKIPPED)} if outcome.status == "skipped" else {}
        print_json({**outcome.to_dict(), **skipped})
    else:
        _print_outcome(outcome)
    if outcome.status == "skipped":
        raise typer.Exit(ExitCode.TRAINING_SKIPPED)


def _print_outcome(outcome) -> None:
    if outcome.status == "skipped":
        err_console.print(f"[yellow]training skipped:[/] {outcome.reason}")
        return
    console.print(f"challenger [bold]{outcome.version}[/]"
                  + (f"   champion [bold]{outcome.champion_version}[/]"
                     if outcome.champion_version else ""))
    columns: dict[str, dict | None] = {"challenger": outcome.metrics}
    if outcome.champion_version:
        columns["champion"] = outcome.champion_metrics
    for name, metrics in outcome.baselines.items():
        columns[BASELINE_LABELS.get(name, name)] = metrics
    console.print(metrics_table(columns, "holdout metrics (same rows for every column)"))
    if outcome.mape_to_noise_floor is not None:
        console.print(f"noise floor (best possible MAPE on this synthetic market): "
                      f"{outcome.noise_floor_mape:.2%} — model at "
                      f"{outcome.mape_to_noise_floor:.2f}× the floor")
    colour = "green" if outcome.promoted else "yellow" if outcome.decision == "would_promote" else ""
    console.print(f"decision: [bold {colour}]{outcome.decision}[/] — {outcome.reason}")
    if outcome.decision == "would_promote":
        console.print("run with --promote (or `flightprice models promote VERSION`) to promote it")
    if outcome.timing:
        phases = ", ".join(f"{name} {p['wall_s']:.1f}" for name, p in outcome.timing["phases"].items()
                           if not p.get("overlapped"))  # fmt: skip
        console.print(f"[dim]{outcome.timing['wall_s']:.1f} s: {phases} (seconds by phase; "
                      "--json has CPU seconds and the overlapped work)[/]")


def compare(
    ctx: typer.Context,
    challenger: Annotated[str | None, typer.Argument(help="Default: newest challenger.")] = None,
    champion: Annotated[str | None, typer.Argument(help="Default: current champion.")] = None,
    json_out: JsonOption = False,
) -> None:
    """Score two model versions on the same holdout rows and say which should serve."""
    from flightprice.registry import RegistryError  # deferred: keeps --help fast
    from flightprice.train.run import compare_versions  # deferred: keeps --help fast

    settings = initialised_settings(ctx)
    warehouse, store = _open(settings)
    with guard(), warehouse:
        try:
            result = compare_versions(settings, warehouse, store, challenger, champion)
        except (RegistryError, FileNotFoundError, RuntimeError) as exc:
            raise fail(str(exc), cause=exc) from None
    if json_out:
        print_json(result)
        return
    console.print(f"challenger [bold]{result['challenger']}[/]   "
                  f"champion [bold]{result['champion']}[/]")
    console.print(metrics_table(
        {"challenger": result["challenger_metrics"], "champion": result["champion_metrics"]},
        f"holdout metrics ({result['holdout_rows']:,} rows)"))
    verdict = "promote" if result["promote"] else "keep the champion"
    console.print(f"decision: [bold]{verdict}[/] — {result['reason']}")


models_app = typer.Typer(help="List, inspect, promote and roll back model versions.",
                         no_args_is_help=True)


@models_app.command("list")
def models_list(ctx: typer.Context, json_out: JsonOption = False) -> None:
    """List every registered model version, newest first."""
    from flightprice.registry import list_models  # deferred: keeps --help fast

    warehouse, _ = _open(initialised_settings(ctx))
    with guard(), warehouse:
        entries = list_models(warehouse)
    rows = [_entry_dict(e) for e in entries]
    if json_out:
        print_json(rows)
        return
    table = Table(title="model registry", title_justify="left")
    for col in ("version", "status", "MAPE", "created", "promoted", "promoted from", "reason"):
        table.add_column(col, overflow="fold")
    for row in rows:
        mape = (row["metrics"] or {}).get("mape")
        colour = {"champion": "green", "retired": "dim"}.get(row["status"], "")
        table.add_row(row["version"], f"[{colour}]{row['status']}[/]" if colour else row["status"],
                      "–" if mape is None else f"{mape:.2%}", str(row["created_at"])[:19],
                      str(row["promoted_at"] or "")[:19], row["promoted_from"] or "",
                      row["reason"] or "")
    console.print(table)
    if not rows:
        console.print("no models yet: run `flightprice train`")


@models_app.command("show")
def models_show(
    ctx: typer.Context,
    version: Annotated[str, typer.Argument(help="Model version.")],
    json_out: JsonOption = False,
) -> None:
    """Show one version: registry entry and its artifact's metadata."""
    from flightprice.registry import get  # deferred: keeps --help fast

    warehouse, store = _open(initialised_settings(ctx))
    with guard(), warehouse:
        entry = get(warehouse, version)
    if entry is None:
        raise fail(f"model version {version} is not registered",
                   hint="`flightprice models list` shows the registered versions")
    data = _entry_dict(entry)
    metadata_key = f"models/{version}/metadata.json"
    data["artifact_metadata"] = (json.loads(store.read_bytes(metadata_key))
                                 if store.exists(metadata_key) else None)
    if json_out:
        print_json(data)
        return
    console.print_json(json.dumps(data, default=str))


@models_app.command("promote")
def models_promote(
    ctx: typer.Context,
    version: Annotated[str, typer.Argument(help="Model version to make champion.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the registry).")] = "manual promotion",
    json_out: JsonOption = False,
) -> None:
    """Make VERSION the champion; the current champion retires (kept for rollback)."""
    from flightprice.registry import RegistryError, promote  # deferred: keeps --help fast
    from flightprice.track import sync_model_aliases  # deferred: keeps --help fast

    settings = initialised_settings(ctx)
    warehouse, _ = _open(settings)
    with guard(), warehouse:
        try:
            entry = promote(warehouse, version, reason)
        except RegistryError as exc:
            raise fail(str(exc), cause=exc) from None
        sync_model_aliases(settings, warehouse)  # MLflow's aliases follow the registry
    _report_champion(entry, json_out)


@models_app.command("rollback")
def models_rollback(
    ctx: typer.Context,
    reason: Annotated[str, typer.Option(help="Why (kept in the registry).")] = "manual rollback",
    json_out: JsonOption = False,
) -> None:
    """Return to the previous champion; the current one goes back to challenger."""
    from flightprice.registry import RegistryError, rollback  # deferred: keeps --help fast
    from flightprice.track import sync_model_aliases  # deferred: keeps --help fast

    settings = initialised_settings(ctx)
    warehouse, _ = _open(settings)
    with guard(), warehouse:
        try:
            entry = rollback(warehouse, reason)
        except RegistryError as exc:
            raise fail(str(exc), cause=exc) from None
        sync_model_aliases(settings, warehouse)  # MLflow's aliases follow the registry
    _report_champion(entry, json_out)


def _report_champion(entry, json_out: bool) -> None:
    if json_out:
        print_json(_entry_dict(entry))
    else:
        console.print(f"champion is now [bold green]{entry.version}[/] — {entry.reason}")


def _entry_dict(entry) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(entry)


def register(app: typer.Typer) -> None:
    """Attach the model commands to `app`."""
    app.command()(train)
    app.command()(compare)
    app.command()(report)
    app.add_typer(models_app, name="models")



def report(
    ctx: typer.Context,
    version: Annotated[str | None, typer.Option(help="Model version (default: champion).")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: <home>/reports/<version>).")
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Write a self-contained HTML report (and PNGs): predicted vs actual, error by days to
    departure, feature importance, fare curves."""
    from flightprice.registry import RegistryError  # deferred: keeps --help fast
    from flightprice.train.run import build_model_report  # deferred: keeps --help fast

    settings = initialised_settings(ctx)
    warehouse, store = _open(settings)
    with guard(), warehouse, console.status("drawing the report …") if not json_out else nullcontext():
        try:
            files = build_model_report(settings, warehouse, store, version, out)
        except (RegistryError, FileNotFoundError, RuntimeError, ValueError) as exc:
            raise fail(str(exc), cause=exc) from None
    if json_out:
        print_json(files.to_dict())
        return
    console.print(f"report for [bold]{files.version}[/]: {files.html}")
    for path in files.pngs.values():
        console.print(f"  {path}")

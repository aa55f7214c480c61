"""Data commands: init, generate, ingest, transform, quality."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import date
from enum import Enum
from typing import Annotated

import typer
from rich.table import Table

from flightprice.cli._common import (
    JsonOption,
    console,
    finish,
    guard,
    initialised_settings,
    print_json,
    progress_bar,
    settings_from,
)
from flightprice.clock import new_run_id
from flightprice.exit_codes import ExitCode


class Target(str, Enum):
    duckdb = "duckdb"
    snowflake = "snowflake"


def init(
    ctx: typer.Context,
    target: Annotated[
        Target | None,
        typer.Option(
            help="Warehouse to set up (default: FLIGHTPRICE_WAREHOUSE). snowflake applies "
            "sql/snowflake_setup.sql.",
            show_default=False,
        ),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Create the lake folders, the warehouse schemas and log tables, and an admin key in the
    home when FLIGHTPRICE_API_KEY is unset (safe to re-run)."""
    from flightprice.project import init_project  # deferred: keeps --help fast

    with guard():
        created = init_project(settings_from(ctx), target.value if target else None)
    if json_out:
        print_json(created)
        return
    for what, where in created.items():
        console.print(f"[green]ready[/] {what}: {where}")


def generate(
    ctx: typer.Context,
    days: Annotated[int, typer.Option(min=1, help="Observation days to write.")] = 30,
    routes: Annotated[int, typer.Option(min=1, help="Origin-destination pairs.")] = 40,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same files.")] = 7,
    start: Annotated[
        str, typer.Option(help="First observation day, YYYY-MM-DD.")
    ] = "2026-09-01",
    quotes_per_day: Annotated[
        float, typer.Option(min=0.01, help="Mean quotes per flight-cabin on sale per day.")
    ] = 0.2,
    schedules: Annotated[
        str, typer.Option(help="full: every flight on sale, every day; new: only newly opened days.")
    ] = "new",
    file_format: Annotated[
        str, typer.Option("--format", help="csv or parquet.", case_sensitive=False)
    ] = "csv",
    profile: Annotated[
        str, typer.Option(help="clean: USD only, a schedule for every fare, no bad rows. realistic adds "
                          "currencies with daily rates (a currency_rates feed), per-flight price "
                          "levels, fares-only days, up to 4 stops, UTC offsets, re-delivered "
                          "quotes and ~0.5% planted bad rows (answer key in "
                          "synthetic/realistic_bad_rows.json).", case_sensitive=False)
    ] = "clean",
    bookings: Annotated[
        bool, typer.Option("--bookings", help="Also a bookings file per day: the sales at that "
                           "day's quotes by simulated customers (clean profile only).")
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Write a seeded synthetic market (schedules + fares files, with --bookings the sales too)
    into raw-data/."""
    from flightprice.store import open_store  # deferred: keeps --help fast
    from flightprice.synth.generate import generate_market  # deferred: keeps --help fast

    try:
        first_day = date.fromisoformat(start)
    except ValueError:
        raise typer.BadParameter(f"not a date: {start!r}", param_hint="--start") from None
    if schedules not in ("full", "new"):
        raise typer.BadParameter("must be full or new", param_hint="--schedules")
    fmt = file_format.lower()
    if fmt not in ("csv", "parquet"):
        raise typer.BadParameter("must be csv or parquet", param_hint="--format")
    if profile.lower() not in ("clean", "realistic"):
        raise typer.BadParameter("must be clean or realistic", param_hint="--profile")
    if bookings and profile.lower() != "clean":
        raise typer.BadParameter("bookings are generated for the clean profile only",
                                 param_hint="--bookings")  # fmt: skip
    settings = settings_from(ctx)
    with guard(), progress_bar("generating days", enabled=not json_out) as progress:
        report = generate_market(
            open_store(settings), start=first_day, days=days, routes=routes, seed=seed,
            fmt=fmt, quotes_per_day=quotes_per_day, schedules=schedules, progress=progress,
            profile=profile.lower(), bookings=bookings,
        )
    if json_out:
        print_json(report.to_dict())
        return
    summary = report.to_dict()
    table = Table(title="synthetic market", title_justify="left")
    table.add_column("what")
    table.add_column("value", justify="right")
    for key in ("profile", "files", "schedule_rows", "fare_rows", "booking_rows", "noise_sigma",
                "noise_floor_mape"):
        if key in summary:
            value = summary[key]
            table.add_row(key, str(len(value)) if isinstance(value, list) else f"{value:,}"
                          if isinstance(value, int) else str(value))
    for key in ("bad_rows", "bad_rows_key", "fares_only_days"):
        if key in summary.get("realistic", {}):
            value = summary["realistic"][key]
            table.add_row(key, str(len(value)) if isinstance(value, list) else str(value))
    console.print(table)


def ingest(ctx: typer.Context, json_out: JsonOption = False) -> None:
    """Load new raw files into RAW without their bad rows; quarantine unreadable files whole.

    A file whose rejected share exceeds FLIGHTPRICE_INGEST_MAX_REJECT_SHARE is quarantined
    whole too. Exit code 0 when every new file loaded (rejected rows are a warning), 3 when
    any file was quarantined, 4 when a valid file failed to load (retried on the next run).
    """
    from flightprice.ingest.load import IngestPolicy, load_raw_files  # deferred: keeps --help fast
    from flightprice.store import open_store  # deferred: keeps --help fast
    from flightprice.warehouse import open_warehouse  # deferred: keeps --help fast

    settings = initialised_settings(ctx)
    with guard(), open_warehouse(settings) as warehouse, progress_bar(
        "loading files", enabled=not json_out
    ) as progress:
        report = load_raw_files(
            open_store(settings), warehouse, progress=progress, run_id=new_run_id("ingest"),
            policy=IngestPolicy.from_settings(settings),
        )
    if not json_out:
        _print_ingest(report)
    finish(json_out, report.to_dict(), report.exit_code,
           f"{len(report.quarantined)} file(s) quarantined, {len(report.failed)} failed to load")


def _print_ingest(report) -> None:
    table = Table(title="ingest", title_justify="left")
    table.add_column("outcome")
    table.add_column("files", justify="right")
    table.add_column("rows", justify="right")
    table.add_row("loaded", str(len(report.loaded)), f"{sum(r[2] for r in report.loaded):,}")
    table.add_row("rows rejected", str(len(report.rejected)), f"{report.totals['rows_rejected']:,}")
    table.add_row("already loaded (skipped)", str(len(report.skipped_already_loaded)), "")
    table.add_row("quarantined", str(len(report.quarantined)), "")
    table.add_row("failed (will retry)", str(len(report.failed)), "")
    console.print(table)
    for key, (n, reasons) in report.rejected.items():
        top = ", ".join(f"{r['column']} {r['check']} ({r['rows']})" for r in reasons)
        console.print(f"[yellow]rejected[/] {n:,} rows of {key}: {top}")
    for key, reason in report.quarantined:
        console.print(f"[yellow]quarantined[/] {key}: {reason}")
    for key, error in report.failed:
        console.print(f"[red]failed[/] {key}: {error}")


def _print_dbt(run, title: str) -> None:
    counts: dict[tuple[str, str], int] = {}
    for node in run.nodes:
        counts[(node.resource_type, node.status)] = counts.get((node.resource_type, node.status), 0) + 1
    table = Table(title=title, title_justify="left")
    table.add_column("resource")
    table.add_column("status")
    table.add_column("nodes", justify="right")
    for (resource, status), n in sorted(counts.items()):
        colour = "green" if status in ("pass", "success") else "red"
        table.add_row(resource, f"[{colour}]{status}[/]", str(n))
    console.print(table)
    for node in run.failed:
        console.print(f"[red]{node.status}[/] {node.name}: {node.message}")


def transform(
    ctx: typer.Context,
    select: Annotated[
        str | None, typer.Option(help="dbt selector, e.g. 'staging' or 'ml'.")
    ] = None,
    full_refresh: Annotated[
        bool,
        typer.Option(
            "--full-refresh",
            help="Rebuild the incremental models from all history instead of the rows "
            "loaded since the last run.",
        ),
    ] = False,
    unit_tests: Annotated[
        bool,
        typer.Option(
            "--unit-tests",
            help="Also run dbt's unit tests (the SQL on fixed rows; CI runs them). "
            "A daily run checks the data only.",
        ),
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Run dbt build (seeds, staging, intermediate, marts, ML features, data tests); log them.

    The de-duplicated fares and schedules, the fare and daily facts and the training
    features are incremental: a run reads only the raw rows loaded since the last one
    (FLIGHTPRICE_TRANSFORM_LOOKBACK_HOURS back), and the data tests of the first three
    check the rows it wrote. Exit code 5 when a dbt model or test failed.
    """
    from flightprice.transform.dbt import without_unit_tests  # deferred: keeps --help fast
    from flightprice.transform.quality import transform as run_transform  # deferred, as above

    args = ["build", *(["--select", select] if select else [])]
    if full_refresh:
        args.append("--full-refresh")
    if not unit_tests:
        args = without_unit_tests(args)
    with guard(), console.status("dbt build …", spinner="dots") if not json_out else nullcontext():
        run = run_transform(initialised_settings(ctx), run_id=new_run_id("transform"), args=args)
    if not json_out:
        _print_dbt(run, "dbt build")
    finish(json_out, run.to_dict(), ExitCode.OK if run.success else ExitCode.DBT_FAILED,
           "dbt build failed: " + ", ".join(node.name for node in run.failed))


def quality(
    ctx: typer.Context,
    tests: Annotated[bool, typer.Option(help="Run dbt tests as well as the metrics.")] = True,
    json_out: JsonOption = False,
) -> None:
    """Run dbt tests and the data-quality checks into DATA_QUALITY_LOG.

    Exit code 6 when a check of severity error failed (those block training); a failed
    check of severity warn shows as `warn`.
    """
    from flightprice.transform.quality import run_quality_checks  # deferred: keeps --help fast

    with guard(), console.status("checking quality …") if not json_out else nullcontext():
        _, rows = run_quality_checks(
            initialised_settings(ctx), run_id=new_run_id("quality"), run_tests=tests
        )
    failed = [r for r in rows if r["status"] in ("fail", "error")]
    if not json_out:
        _print_quality(rows)
    finish(json_out, {"checks": rows, "failed": len(failed)},
           ExitCode.QUALITY_FAILED if failed else ExitCode.OK,
           "data-quality checks failed: " + ", ".join(r["check_name"] for r in failed))


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if float(value).is_integer() and abs(value) >= 1 else f"{value:.4g}"


def _print_quality(rows: list[dict]) -> None:
    """One screen: a line per check type, then every metric and every failed check."""
    by_type: dict[str, list[dict]] = {}
    for row in rows:
        by_type.setdefault(row["check_type"], []).append(row)
    summary = Table(title="data quality", title_justify="left")
    for col in ("check type", "checks", "passed", "warned", "failed"):
        summary.add_column(col, justify="left" if col == "check type" else "right")
    for kind, group in by_type.items():
        counts = [sum(r["status"] == s for r in group) for s in ("pass", "warn")]
        summary.add_row(kind, str(len(group)), str(counts[0]), str(counts[1]),
                        str(len(group) - sum(counts)))
    console.print(summary)
    shown = [r for r in rows if r["check_type"] != "dbt_test" or r["status"] != "pass"]
    details = Table(title="metrics and problems", title_justify="left")
    for col in ("check", "severity", "status", "value", "details"):
        details.add_column(col, overflow="fold")
    for row in shown:
        colour = {"pass": "green", "warn": "yellow"}.get(row["status"], "red")
        value = row["metric_value"] if row["metric_value"] is not None else row["failures"]
        details.add_row(row["check_name"], row.get("severity") or "",
                        f"[{colour}]{row['status']}[/]", _number(value), row["details"] or "")
    console.print(details)
    failed = sum(r["status"] in ("fail", "error") for r in rows)
    console.print(f"{len(rows) - failed} of {len(rows)} checks passed")


def register(app: typer.Typer) -> None:
    """Attach the data commands to `app`."""
    for command in (init, generate, ingest, transform, quality):
        app.command(name=command.__name__)(command)

"""`flightprice docs`: dbt's documentation site with lineage, built into the home and served."""

from __future__ import annotations

from typing import Annotated

import typer

from flightprice.cli._common import JsonOption, console, guard, print_json, settings_from


def docs(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to serve on.")] = 8080,
    serve: Annotated[bool, typer.Option(help="Serve the site until Ctrl-C.")] = True,
    json_out: JsonOption = False,
) -> None:
    """Generate dbt's docs site (models, columns, tests, lineage, exposures) and serve it.

    The site goes to <home>/dbt/target (index.html, manifest.json, catalog.json); the catalog
    reads the warehouse, so run `flightprice transform` first. --no-serve only generates.
    """
    from flightprice.transform.docs import generate_docs, serve_docs  # deferred: --help

    settings = settings_from(ctx)
    with guard():
        site = generate_docs(settings)
    summary = {"folder": str(site.folder), "index": str(site.index), "models": site.models,
               "exposures": site.exposures, "undescribed_columns": site.undescribed_columns}  # fmt: skip
    if json_out:
        print_json(summary)
    else:
        console.print(f"dbt docs: {site.models} models, {site.exposures} exposures -> {site.index}")
    if not serve:
        return
    server = serve_docs(site.folder, "127.0.0.1", port)
    console.print(f"serving on [bold]http://127.0.0.1:{port}[/] (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def register(app: typer.Typer) -> None:
    app.command(name="docs")(docs)

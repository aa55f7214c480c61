"""dbt's documentation site (models, columns, lineage, exposures) built into the home folder."""

from __future__ import annotations

import functools
import http.server
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flightprice.transform.dbt import DbtError, run_dbt

if TYPE_CHECKING:
    from flightprice.settings import Settings


@dataclass(frozen=True)
class DocsSite:
    folder: Path  # index.html, manifest.json, catalog.json
    models: int
    exposures: int
    undescribed_columns: list[str]  # "model.column" in the warehouse without a description

    @property
    def index(self) -> Path:
        return self.folder / "index.html"


def docs_folder(settings: Settings) -> Path:
    """Where `dbt docs generate` writes: the dbt target folder under the home."""
    return (settings.home / "dbt" / "target").resolve()


def generate_docs(settings: Settings) -> DocsSite:
    """Run `dbt docs generate` (the catalog reads the warehouse) and summarise the site."""
    run = run_dbt(settings, ["docs", "generate"])
    folder = docs_folder(settings)
    if not run.success or not (folder / "index.html").is_file():
        raise DbtError(f"dbt docs generate failed: {run.error or 'no index.html'}")
    manifest = json.loads((folder / "manifest.json").read_text())
    catalog = json.loads((folder / "catalog.json").read_text())
    return DocsSite(folder, sum(1 for n in manifest["nodes"].values()
                                if n["resource_type"] == "model"),
                    len(manifest.get("exposures", {})),
                    undescribed_columns(manifest, catalog))  # fmt: skip


def undescribed_columns(manifest: dict, catalog: dict) -> list[str]:
    """Columns the warehouse has for a model that its YAML leaves without a description."""
    missing = []
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] != "model" or unique_id not in catalog.get("nodes", {}):
            continue
        described = {name.lower() for name, col in node["columns"].items()
                     if col.get("description", "").strip()}  # fmt: skip
        for column in catalog["nodes"][unique_id]["columns"]:
            if column.lower() not in described:
                missing.append(f"{node['name']}.{column.lower()}")
    return sorted(missing)


def serve_docs(folder: Path, host: str, port: int) -> http.server.ThreadingHTTPServer:
    """Return an HTTP server of the site's folder (call `serve_forever`, then `server_close`)."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    return http.server.ThreadingHTTPServer((host, port), handler)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # the terminal shows the URL, not each GET
        pass

"""The fakesnow stand-in for tests: the server, and settings / env that select it.

Also a server for trying the CLI by hand, with the same repairs as in the tests:
    uv run python tests/warehouse/snowflake/fakesnow_standin.py --port 8765
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from flightprice.settings import Settings


def _timestamp_to_sf_struct_keeping_nulls(original):
    """fakesnow 0.12.1 builds the timestamp struct it sends without a validity mask, so a NULL
    TIMESTAMP reaches the client as 1970-01-01 (the data is NULL on the server). Add the mask."""

    def fixed(ts: pa.Array | pa.ChunkedArray) -> pa.Array:
        if isinstance(ts, pa.ChunkedArray):
            ts = ts.combine_chunks()
        struct = original(ts)
        if not ts.null_count:
            return struct
        return pa.StructArray.from_arrays(
            [struct.field(i) for i in range(struct.type.num_fields)],
            fields=list(struct.type),
            mask=pc.is_null(ts),
        )

    return fixed


def _comment_only_when_there_is_one(original):
    """fakesnow 0.12.1 records a (None) comment for every CREATE TABLE with properties, in its
    `_fs_global` catalog. Inside a transaction that already wrote (scoring: history rows, then
    MERGE, whose TEMPORARY table is such a CREATE) DuckDB refuses a second catalog. Record only
    real comments."""

    def fixed(expression):
        new = original(expression)
        if new.args.get("table_comment") and new.args["table_comment"][1] is None:
            new.args.pop("table_comment")
        return new

    return fixed


# (module, attribute, fix): the stand-in's known defects, repaired while the server runs.
_FIXES = (
    ("fakesnow.arrow", "timestamp_to_sf_struct", _timestamp_to_sf_struct_keeping_nulls),
    ("fakesnow.transforms", "extract_comment_on_table", _comment_only_when_there_is_one),
)


@contextlib.contextmanager
def fakesnow_server(port: int | None = None) -> Iterator[dict[str, Any]]:
    """Serve the Snowflake protocol on `port` (default: a free one) in this process; yield
    host and port."""
    import importlib

    import fakesnow

    for name in ("fakesnow.server", "uvicorn", "uvicorn.access", "uvicorn.error"):
        logging.getLogger(name).setLevel(logging.WARNING)
    originals = []
    for module_name, attribute, fix in _FIXES:
        module = importlib.import_module(module_name)
        originals.append((module, attribute, getattr(module, attribute)))
        setattr(module, attribute, fix(getattr(module, attribute)))
    try:
        with fakesnow.server(port=port) as kwargs:
            yield {"host": kwargs["host"], "port": kwargs["port"]}
    finally:
        for module, attribute, original in originals:
            setattr(module, attribute, original)
        # fakesnow makes its stage folder at import (tempfile.mkdtemp) and never removes it.
        from fakesnow.transforms import stage

        shutil.rmtree(stage.LOCAL_BUCKET_PATH, ignore_errors=True)


def stand_in_settings(server: dict[str, Any], home, database: str | None = None, **overrides) -> Settings:
    """Settings that select Snowflake at the stand-in, in a database of their own."""
    values = {
        "home": home,
        "warehouse": "snowflake",
        "store": "local",
        "snowflake_account": "fakesnow",
        "snowflake_user": "fake",
        "snowflake_password": "snow",
        "snowflake_host": server["host"],
        "snowflake_port": server["port"],
        "snowflake_protocol": "http",
        "snowflake_stand_in": True,
        "snowflake_database": database or f"FP_{uuid.uuid4().hex[:10].upper()}",
        "notify_webhook_url": None,
        **overrides,
    }
    return Settings(**values)


def stand_in_env(settings: Settings) -> dict[str, str]:
    """The FLIGHTPRICE_* variables that make the CLI pick `settings`' warehouse."""
    env = {
        "FLIGHTPRICE_HOME": str(settings.home),
        "FLIGHTPRICE_WAREHOUSE": "snowflake",
        "FLIGHTPRICE_STORE": "local",
        "FLIGHTPRICE_SNOWFLAKE_ACCOUNT": settings.snowflake_account,
        "FLIGHTPRICE_SNOWFLAKE_USER": settings.snowflake_user,
        "FLIGHTPRICE_SNOWFLAKE_PASSWORD": settings.snowflake_password.get_secret_value(),
        "FLIGHTPRICE_SNOWFLAKE_HOST": settings.snowflake_host,
        "FLIGHTPRICE_SNOWFLAKE_PORT": str(settings.snowflake_port),
        "FLIGHTPRICE_SNOWFLAKE_PROTOCOL": "http",
        "FLIGHTPRICE_SNOWFLAKE_STAND_IN": "true",
        "FLIGHTPRICE_SNOWFLAKE_DATABASE": settings.snowflake_database,
    }
    return env


@contextlib.contextmanager
def scripted_snowflake(login_status: int = 200, query_error: tuple[str, str] | None = None):
    """A minimal Snowflake endpoint that answers logins with `login_status` and every query
    with the error `query_error` (code, message): for the failures the stand-in cannot make.
    Yields (port, list of request paths seen)."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append(self.path.split("?")[0])
            if self.path.startswith("/session/v1/login-request"):
                status = login_status
                body = {"data": {"token": "t", "masterToken": "m", "parameters": [],
                                 "sessionInfo": {}}, "success": True}  # fmt: skip
            elif self.path.startswith("/queries/v1/query-request") and query_error:
                status = 200
                code, message = query_error
                body = {"data": {"errorCode": code, "sqlState": "57P03"}, "code": code,
                        "message": message, "success": False}  # fmt: skip
            else:
                status, body = 200, {"data": None, "success": True}
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    import argparse
    import threading

    parser = argparse.ArgumentParser(description="fakesnow with the repairs the tests apply")
    parser.add_argument("--port", type=int, default=8765)
    with fakesnow_server(parser.parse_args().port) as served:
        print(f"Snowflake stand-in on http://{served['host']}:{served['port']} (Ctrl-C stops)")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass

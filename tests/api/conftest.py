"""One real uvicorn per test module, serving a private copy of the champion home."""

from __future__ import annotations

import shutil

import httpx
import pytest


@pytest.fixture(scope="module")
def api_settings(champion_template, tmp_path_factory, make_settings):
    home = tmp_path_factory.mktemp("api") / "home"
    shutil.copytree(champion_template, home)
    return make_settings(home, api_batch_limit=50, api_arrow_batch_limit=2000)


@pytest.fixture(scope="module")
def api_url(api_settings, serve_api):
    with serve_api(api_settings) as url:
        yield url


@pytest.fixture(scope="module")
def client(api_url):
    with httpx.Client(base_url=api_url, timeout=30) as http:
        yield http


@pytest.fixture(scope="session")
def serve_app():
    """`with serve_app(app) as url:` a real uvicorn serving an app built by the test."""
    import contextlib
    import socket
    import threading
    import time

    import uvicorn

    @contextlib.contextmanager
    def running(app):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                               log_level="warning", lifespan="on"))  # fmt: skip
        thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=10)

    return running

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



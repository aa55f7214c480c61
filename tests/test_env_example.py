"""`.env.example` lists every setting, and nothing secret: it cannot drift from Settings."""

from __future__ import annotations

import re

from pydantic import SecretStr

from flightprice.pricing.params import PricingParams
from flightprice.settings import ENV_PREFIX, REPO_ROOT, Settings

LINE = re.compile(r"^#?\s*(FLIGHTPRICE_[A-Z0-9_]+)=(\S*)")


def _listed() -> dict[str, str]:
    text = (REPO_ROOT / ".env.example").read_text()
    return {m.group(1): m.group(2) for ln in text.splitlines() if (m := LINE.match(ln))}


def _expected() -> set[str]:
    names = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
    names |= {f"{ENV_PREFIX}PRICING__{name.upper()}" for name in PricingParams.model_fields}
    return names


def test_every_setting_is_listed_and_nothing_else():
    listed = set(_listed())
    assert sorted(_expected() - listed) == [], "add these to .env.example"
    assert sorted(listed - _expected()) == [], "these are not settings (any more)"


def test_secret_settings_are_listed_without_a_value():
    secret = [ENV_PREFIX + name.upper() for name, field in Settings.model_fields.items()
              if SecretStr in getattr(field.annotation, "__args__", (field.annotation,))]
    assert "FLIGHTPRICE_SNOWFLAKE_PASSWORD" in secret and "FLIGHTPRICE_API_KEY" in secret
    listed = _listed()
    assert {name: listed[name] for name in secret} == dict.fromkeys(secret, "")


def test_listed_defaults_are_valid_settings(monkeypatch, tmp_path):
    # Uncommenting any line as it stands must give a valid configuration.
    for key in [k for k in __import__("os").environ if k.startswith(ENV_PREFIX)]:
        monkeypatch.delenv(key)
    for name, value in _listed().items():
        if value and name != f"{ENV_PREFIX}PRICING":
            monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    assert Settings().pricing == PricingParams()

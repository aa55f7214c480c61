"""Deploy targets. `local`: the champion pointer is the registry; the running API reloads it."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import httpx

from flightprice import registry
from flightprice.settings import Settings
from flightprice.warehouse import Warehouse

log = logging.getLogger(__name__)


@dataclass
class DeployResult:
    """What a deploy did."""

    target: str
    version: str
    api_reloaded: bool
    detail: str

    def to_dict(self) -> dict:
        return asdict(self)


def reload_api(settings: Settings, timeout: float = 30.0) -> tuple[bool, str]:
    """Ask the running API to load the current champion; (reloaded?, what happened)."""
    url = settings.api_url.rstrip("/") + "/admin/reload"
    headers = {"X-API-Key": settings.api_key.get_secret_value()} if settings.api_key else {}
    try:
        response = httpx.post(url, headers=headers, timeout=timeout)
    except httpx.TransportError as exc:
        return False, f"API not reachable at {settings.api_url} ({type(exc).__name__}): it loads the champion when it starts"
    if response.status_code >= 400:
        return False, f"API refused the reload: HTTP {response.status_code} {response.text[:200]}"
    return True, f"API at {settings.api_url} reloaded: {response.text[:200]}"


def deploy_local(settings: Settings, warehouse: Warehouse, version: str | None = None) -> DeployResult:
    """Make `version` (default: the champion) the served model and tell the API to reload."""
    current = registry.champion(warehouse)
    if version is None:
        if current is None:
            raise registry.RegistryError("nothing to deploy: there is no champion yet")
        version = current.version
    elif current is None or current.version != version:
        registry.promote(warehouse, version, "deployed with `flightprice deploy --target local`")
    reloaded, detail = reload_api(settings)
    log.info("deployed %s locally: %s", version, detail)
    return DeployResult("local", version, reloaded, detail)

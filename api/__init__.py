"""The flightprice pricing API (FastAPI): `create_app(settings)` builds it.

Run it with `flightprice serve`, or `uvicorn --factory api.main:create_app` from the repo root.
"""

from api.main import create_app

__all__ = ["create_app"]

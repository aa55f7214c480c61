"""ASGI guards around the app: body size caps before parsing, and 500s that keep the connection.

Hand-written because neither Starlette nor uvicorn caps a request body (uvicorn bounds only
the headers), and Starlette's ServerErrorMiddleware re-raises after its 500, which makes
uvicorn drop the keep-alive connection (tests/api/test_hardening.py shows both).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import HTTPException, status
from starlette.responses import JSONResponse

log = logging.getLogger("flightprice.api")

INTERNAL_ERROR = {"detail": "internal error"}


class BodyTooLarge(HTTPException):
    """A body over its endpoint's cap; FastAPI passes HTTPExceptions through its body parsing."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            status.HTTP_413_CONTENT_TOO_LARGE,
            detail=f"request body over {limit} bytes: the limit of this endpoint "
            "(FLIGHTPRICE_API_MAX_BODY_BYTES, _MAX_BATCH_BODY_BYTES, _MAX_ARROW_BODY_BYTES)",
        )
        self.limit = limit


class BodyLimitMiddleware:
    """Refuse a body over its cap by Content-Length at once, or as it streams in (chunked).

    `limit_for(scope)` returns the cap of a request in bytes; nothing over it is buffered.
    """

    def __init__(self, app: Any, limit_for: Any) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        length = _content_length(scope)
        if length is not None and length > limit:
            await _too_large(limit)(scope, receive, send)
            return
        seen = 0

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)


class InternalErrorMiddleware:
    """Answer an unhandled exception with a plain 500 and keep the connection open.

    A defect, never the client's input (that is a 4xx): logged whole, the client told little.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:  # half an answer is out: only closing the connection can end it
                raise
            await JSONResponse(INTERNAL_ERROR, status.HTTP_500_INTERNAL_SERVER_ERROR)(
                scope, receive, send
            )


def _content_length(scope: dict) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _too_large(limit: int) -> JSONResponse:
    exc = BodyTooLarge(limit)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)

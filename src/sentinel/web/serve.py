"""Serve the built web UI on the API's port.

- `/` and deep links (GET/HEAD paths outside the API that accept text/html) answer with
  index.html, so a reload of `/traces/abc` works; it is never cached (a new build is seen
  at once).
- `/assets/*` are Vite's content-hashed files: cached for a year, immutable.
- Everything else keeps its API behaviour: an unknown `/api/...` path, or a request that
  does not ask for HTML, is still a problem+json 404.
- When the UI has not been built, `/` and deep links answer with a short page that says
  how to build it.

The folder is read at request time, so `make web` while the server runs is picked up.
"""

from __future__ import annotations

import os
from html import escape
from os import PathLike
from pathlib import Path

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from sentinel.api.errors import on_http_exception

DEFAULT_STATIC_DIR = Path(__file__).parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
# Paths that belong to the API and the protocols served on the same port: never the UI.
API_PREFIXES = (
    "/api/",
    "/v1/",
    "/v2/",
    "/jaeger/",
    "/loki/",
    "/assets/",
    "/docs",
    "/redoc",
    "/openapi.json",
    "/metrics",
    "/health",
    "/suite-info",
)

NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sentinel</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem}}
code,pre{{background:#f2f2f2;padding:.1rem .3rem;border-radius:4px}}</style></head>
<body><h1>Sentinel is running</h1>
<p>The web UI has not been built into <code>{folder}</code>.</p>
<p>Build it from the repository (needs Node.js 20 and npm), then reload this page:</p>
<pre>make web</pre>
<p>(<code>make run</code> builds it before it starts the server.)</p>
<p>The API works without it: <a href="/docs">API docs</a> · <a href="/health">health</a>.</p>
</body></html>
"""


class ImmutableAssets(StaticFiles):
    """Hashed build assets with long cache headers; no build yet is a plain 404."""

    async def check_config(self) -> None:
        if self.directory is None or not await anyio.Path(self.directory).is_dir():
            raise StarletteHTTPException(status_code=404)
        await super().check_config()

    def file_response(
        self,
        full_path: PathLike[str] | str,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = IMMUTABLE
        return response


def is_ui_request(request: Request) -> bool:
    """A browser navigation to a page of the app (not an API call, not an asset)."""
    if request.method not in ("GET", "HEAD"):
        return False
    path = request.url.path
    if path != "/" and any(path == p.rstrip("/") or path.startswith(p) for p in API_PREFIXES):
        return False
    return "text/html" in request.headers.get("accept", "")


async def page_response(static_dir: Path) -> HTMLResponse:
    index = anyio.Path(static_dir / "index.html")
    headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    try:
        return HTMLResponse(await index.read_text(encoding="utf-8"), headers=headers)
    except FileNotFoundError:
        return HTMLResponse(NOT_BUILT.format(folder=escape(str(static_dir))), headers=headers)


def install(app: FastAPI, static_dir: Path | None = None) -> None:
    """Mount the UI. Call after every API router is included (the 404 handler wraps the
    API's)."""
    folder = static_dir or DEFAULT_STATIC_DIR

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def index() -> HTMLResponse:
        return await page_response(folder)

    app.mount("/assets", ImmutableAssets(directory=folder / "assets", check_dir=False))

    async def spa_fallback(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404 and exc.detail == "Not Found" and is_ui_request(request):
            return await page_response(folder)
        return await on_http_exception(request, exc)

    app.add_exception_handler(StarletteHTTPException, spa_fallback)

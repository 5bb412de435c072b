"""The web UI on the API's port: index.html for `/` and deep links, hashed assets with long
cache headers, API 404s still problem+json, and a helpful page when the UI is not built."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from sentinel.app import create_app
from sentinel.cli import main
from tests.conftest import make_settings

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
INDEX = '<!doctype html><html><body><div id="root"></div>SENTINEL-UI-INDEX</body></html>'
SCRIPT = "console.log('sentinel ui');\n"


async def _client_for(
    database_url: str, tmp_path: Path, web_dir: Path
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(database_url, tmp_path / "data", web_dir=web_dir))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sentinel.test") as c:
            yield c


@pytest.fixture
async def ui(database_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A server with a built UI in a folder of its own."""
    built = tmp_path / "static"
    (built / "assets").mkdir(parents=True)
    (built / "index.html").write_text(INDEX)
    (built / "assets" / "index-3f2a9c1b.js").write_text(SCRIPT)
    async for client in _client_for(database_url, tmp_path, built):
        yield client


@pytest.fixture
async def unbuilt(database_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client_for(database_url, tmp_path, tmp_path / "not-built"):
        yield client


async def test_root_and_deep_links_return_the_app(ui: httpx.AsyncClient) -> None:
    for path in ("/", "/services/checkout?range=1h", "/traces/4bf92f3577b34da6a3ce929d0e0e4736"):
        response = await ui.get(path, headers=HTML)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        assert "SENTINEL-UI-INDEX" in response.text
        # index.html names the current hashed assets: never cached, so a new build shows.
        assert response.headers["cache-control"] == "no-cache"


async def test_assets_are_served_with_long_immutable_caching(ui: httpx.AsyncClient) -> None:
    response = await ui.get("/assets/index-3f2a9c1b.js")
    assert response.status_code == 200
    assert response.text == SCRIPT
    assert "javascript" in response.headers["content-type"]
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


async def test_a_missing_asset_is_a_problem_404_not_the_app(ui: httpx.AsyncClient) -> None:
    for path in ("/assets/index-deadbeef.js", "/assets/..%2findex.html"):
        response = await ui.get(path, headers=HTML)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"


async def test_api_404s_stay_problem_json_even_for_a_browser(ui: httpx.AsyncClient) -> None:
    for headers in (HTML, {"Accept": "application/json"}, {}):
        response = await ui.get("/api/unknown", headers=headers)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == "No such endpoint. The API is described at /docs."
    # An API route's own 404 keeps its detail, whoever asks.
    login = await ui.post(
        "/api/auth/login", json={"email": "admin@example.com", "password": "admin-password-123"}
    )
    auth = {"Authorization": f"Bearer {login.json()['access_token']}", **HTML}
    missing = await ui.get("/api/tracing/services/nope/operations", headers=auth)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert "nope" in missing.json()["detail"]


async def test_non_html_requests_and_writes_to_unknown_paths_are_not_the_app(
    ui: httpx.AsyncClient,
) -> None:
    as_json = await ui.get("/services/checkout", headers={"Accept": "application/json"})
    assert as_json.status_code == 404
    assert as_json.headers["content-type"] == "application/problem+json"
    post = await ui.post("/services/checkout", headers=HTML, json={})
    assert post.status_code == 404
    assert post.headers["content-type"] == "application/problem+json"


async def test_api_and_docs_still_work_beside_the_ui(ui: httpx.AsyncClient) -> None:
    assert (await ui.get("/health", headers=HTML)).json()["database"]["status"] == "ok"
    docs = await ui.get("/docs", headers=HTML)
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert "/api/auth/login" in (await ui.get("/openapi.json")).json()["paths"]


async def test_the_ui_typed_client_source_is_the_served_openapi_json(
    ui: httpx.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make web` generates the UI's typed client from `sentinel openapi`: the very document
    the server answers at /openapi.json, so the compiler checks the UI against the real API."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SENTINEL_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.db")
    generated = tmp_path / "openapi.json"
    assert main(["openapi", "--output", str(generated)]) == 0
    served = (await ui.get("/openapi.json")).json()
    assert json.loads(generated.read_text()) == served


async def test_without_a_build_the_root_says_how_to_build_it(unbuilt: httpx.AsyncClient) -> None:
    for path in ("/", "/incidents/12"):
        response = await unbuilt.get(path, headers=HTML)
        assert response.status_code == 200
        assert "make web" in response.text
        assert "has not been built" in response.text
    asset = await unbuilt.get("/assets/index-3f2a9c1b.js")
    assert asset.status_code == 404
    assert asset.headers["content-type"] == "application/problem+json"
    assert (await unbuilt.get("/api/unknown")).status_code == 404

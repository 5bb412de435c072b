"""Bad input: every 4xx/5xx is problem+json with a message a user can act on."""

from __future__ import annotations

import gzip
import json
from typing import Any

import httpx
from fastapi import FastAPI

PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


async def test_unknown_route_is_404_problem(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/api/nope"), 404)
    assert "/docs" in body["detail"]


async def test_wrong_method_is_405_problem(client: httpx.AsyncClient) -> None:
    assert_problem(await client.delete("/api/auth/login"), 405)


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/login",
        content=b'{"email": "a@b.c", ',
        headers={"content-type": "application/json"},
    )
    body = assert_problem(response, 400)
    assert body["type"] == "/problems/malformed-json"


async def test_wrong_types_are_422_with_field_errors(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/users",
        headers=admin_headers,
        json={"email": "not-an-email", "name": "", "password": 5, "role": "overlord"},
    )
    body = assert_problem(response, 422)
    fields = {e["field"] for e in body["errors"]}
    assert {"body.email", "body.name", "body.password", "body.role"} <= fields
    # Nothing was created.
    users = await client.get("/api/users", headers=admin_headers)
    assert [u["email"] for u in users.json()["items"]] == ["admin@example.com"]


async def test_body_over_the_limit_is_413(client: httpx.AsyncClient, app: FastAPI) -> None:
    limit = app.state.settings.max_body_bytes
    response = await client.post(
        "/api/auth/login", content=b"x" * (limit + 1), headers={"content-type": "application/json"}
    )
    assert_problem(response, 413)


async def test_streamed_body_over_the_limit_is_413(client: httpx.AsyncClient, app: FastAPI) -> None:
    limit = app.state.settings.max_body_bytes

    async def chunks() -> Any:
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536

    response = await client.post(
        "/api/auth/login", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_problem(response, 413)


async def test_gzip_request_bodies_are_accepted(client: httpx.AsyncClient) -> None:
    payload = gzip.compress(
        json.dumps({"email": "admin@example.com", "password": "admin-password-123"}).encode()
    )
    response = await client.post(
        "/api/auth/login",
        content=payload,
        headers={"content-type": "application/json", "content-encoding": "gzip"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "bearer"


async def test_gzip_bomb_is_413_and_bad_gzip_is_400(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    bomb = gzip.compress(b"\0" * (app.state.settings.max_body_bytes + 1024))
    assert len(bomb) < 100_000
    headers = {"content-type": "application/json", "content-encoding": "gzip"}
    assert_problem(await client.post("/api/auth/login", content=bomb, headers=headers), 413)
    assert_problem(
        await client.post("/api/auth/login", content=b"not gzip at all", headers=headers), 400
    )
    truncated = gzip.compress(b'{"email": "a@b.c"}')[:-8]
    assert_problem(await client.post("/api/auth/login", content=truncated, headers=headers), 400)


async def test_unknown_content_encoding_is_415(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/login", content=b"{}", headers={"content-encoding": "br"}
    )
    assert_problem(response, 415)


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    echoed = await client.get("/health", headers={"x-request-id": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    made = await client.get("/health", headers={"x-request-id": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces"
    assert len(made.headers["x-request-id"]) == 32


async def test_unexpected_errors_are_500_problem_without_internals(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    async def explode() -> None:
        raise RuntimeError("secret internal detail")

    app.add_api_route("/test/explode", explode)
    body = assert_problem(await client.get("/test/explode"), 500)
    assert "secret internal detail" not in json.dumps(body)


async def test_invalid_cursor_is_400(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    for cursor in ("%%%", "bm90IGpzb24", "WzEsMl0"):  # not base64, not JSON, wrong width
        response = await client.get("/api/users", headers=admin_headers, params={"cursor": cursor})
        assert_problem(response, 400)


async def test_limit_out_of_range_is_422(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.get("/api/users", headers=admin_headers, params={"limit": 0})
    assert_problem(response, 422)
    response = await client.get("/api/users", headers=admin_headers, params={"limit": "many"})
    assert_problem(response, 422)


async def test_too_much_body_in_flight_is_503_with_retry_after(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """Bodies held in memory at once are bounded: past the budget the server says retry."""
    middleware: Any = app.middleware_stack
    while middleware is not None and not hasattr(middleware, "budget"):
        middleware = getattr(middleware, "app", None)
    assert middleware is not None
    middleware.budget.in_use = middleware.budget.limit - 10  # other requests hold the rest
    try:
        response = await client.post(
            "/api/auth/login", content=b"x" * 100, headers={"content-type": "application/json"}
        )
    finally:
        middleware.budget.in_use = 0
    assert_problem(response, 503)
    assert response.headers["retry-after"] == "1"
    ok = await client.post(
        "/api/auth/login", json={"email": "admin@example.com", "password": "admin-password-123"}
    )
    assert ok.status_code == 200
    assert middleware.budget.in_use == 0  # every request gave its bytes back


async def test_exhausted_connection_pool_is_503_not_500(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    from sqlalchemy.exc import TimeoutError as PoolTimeoutError

    async def busy() -> None:
        raise PoolTimeoutError("QueuePool limit of size 10 overflow 10 reached")

    app.add_api_route("/test/busy", busy)
    response = await client.get("/test/busy")
    assert_problem(response, 503)
    assert response.headers["retry-after"] == "1"

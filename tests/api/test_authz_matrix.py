"""The auth matrix on a sample of routes: anonymous 401, wrong role/scope 403,
missing 404, valid 2xx."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import UserFactory

# (method, path, json body, permission needed)
ROUTES = [
    ("GET", "/api/users", None, "read"),
    ("GET", "/api/teams", None, "read"),
    ("POST", "/api/teams", {"name": "sre"}, "write"),
    ("POST", "/api/users", {"email": "n@x.io", "name": "N", "password": "password-1"}, "admin"),
    ("GET", "/api/api-keys", None, "admin"),
    ("GET", "/api/audit", None, "admin"),
]
ROLE_PERMISSIONS = {
    "viewer": {"read"},
    "responder": {"read", "respond"},
    "editor": {"read", "respond", "write", "ingest"},
    "admin": {"read", "respond", "write", "ingest", "admin"},
}


@pytest.mark.parametrize(("method", "path", "body", "needed"), ROUTES)
async def test_anonymous_is_401(
    client: httpx.AsyncClient, method: str, path: str, body: object, needed: str
) -> None:
    response = await client.request(method, path, json=body)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_each_role_gets_exactly_its_permissions(
    client: httpx.AsyncClient, login_as: UserFactory
) -> None:
    for role, granted in ROLE_PERMISSIONS.items():
        headers = await login_as(role)
        for method, path, body, needed in ROUTES:
            if body and "name" in body and path == "/api/teams":
                body = {"name": f"sre-{role}"}
            if body and "email" in body:
                body = {**body, "email": f"new-{role}@x.io"}
            response = await client.request(method, path, json=body, headers=headers)
            expected = {200, 201} if needed in granted else {403}
            assert response.status_code in expected, (role, method, path, response.text)
            if response.status_code == 403:
                assert needed in response.json()["detail"]


async def test_key_scopes_gate_like_roles(client: httpx.AsyncClient, key_with: UserFactory) -> None:
    reader = await key_with("read")
    writer = await key_with("write")
    assert (await client.get("/api/teams", headers=reader)).status_code == 200
    assert (await client.post("/api/teams", json={"name": "a"}, headers=reader)).status_code == 403
    assert (await client.post("/api/teams", json={"name": "a"}, headers=writer)).status_code == 201
    assert (await client.get("/api/audit", headers=writer)).status_code == 403


async def test_missing_things_are_404(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    for method, path in (
        ("GET", "/api/users/999"),
        ("GET", "/api/teams/999"),
        ("PATCH", "/api/teams/999"),
        ("DELETE", "/api/teams/999"),
        ("DELETE", "/api/api-keys/999"),
        ("DELETE", "/api/teams/999/members/1"),
    ):
        response = await client.request(method, path, json={}, headers=admin_headers)
        assert response.status_code == 404, (method, path, response.text)
        assert "999" in response.json()["detail"]

"""Auth: login, me, API keys, users, teams and the audit log, through the HTTP API."""

from __future__ import annotations

import httpx

from tests.conftest import ADMIN_EMAIL, INGEST_KEY, UserFactory


async def test_login_returns_a_token_that_identifies_the_admin(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    me = await client.get("/api/auth/me", headers=admin_headers)
    assert me.status_code == 200
    body = me.json()
    assert body["kind"] == "user"
    assert body["user"]["email"] == ADMIN_EMAIL
    assert body["role"] == "admin"
    assert "admin" in body["permissions"]


async def test_wrong_password_is_401_problem(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/auth/login", json={"email": ADMIN_EMAIL, "password": "nope"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "Wrong email or password."


async def test_bootstrap_ingest_key_authenticates_with_ingest_scope_only(
    client: httpx.AsyncClient,
) -> None:
    for headers in ({"Authorization": f"Bearer {INGEST_KEY}"}, {"X-API-Key": INGEST_KEY}):
        me = await client.get("/api/auth/me", headers=headers)
        assert me.status_code == 200, me.text
        assert me.json()["scopes"] == ["ingest"]
        assert me.json()["permissions"] == ["ingest"]
    # An ingest key cannot read users.
    assert (await client.get("/api/users", headers={"X-API-Key": INGEST_KEY})).status_code == 403


async def test_api_key_is_shown_once_and_stored_hashed(
    client: httpx.AsyncClient, admin_headers: dict[str, str], db: object
) -> None:
    created = await client.post(
        "/api/api-keys", headers=admin_headers, json={"name": "ci", "scopes": ["read"]}
    )
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("snt_")
    listed = await client.get("/api/api-keys", headers=admin_headers)
    assert all("key" not in item for item in listed.json()["items"])
    assert created.json()["prefix"] == key[:12]
    # The key reads; revoking it makes it fail.
    assert (await client.get("/api/users", headers={"X-API-Key": key})).status_code == 200
    revoked = await client.delete(f"/api/api-keys/{created.json()['id']}", headers=admin_headers)
    assert revoked.status_code == 204
    after = await client.get("/api/users", headers={"X-API-Key": key})
    assert after.status_code == 401
    assert "revoked" in after.json()["detail"]


async def test_expired_api_key_is_rejected(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    created = await client.post(
        "/api/api-keys",
        headers=admin_headers,
        json={"name": "old", "scopes": ["read"], "expires_at": "2020-01-01T00:00:00Z"},
    )
    response = await client.get("/api/users", headers={"X-API-Key": created.json()["key"]})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


async def test_garbage_and_tampered_tokens_are_401(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    token = admin_headers["Authorization"].split()[1]
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    for value in (
        "Bearer nonsense",
        f"Bearer {tampered}",
        "Bearer snt_notarealkey_xxxxxxxx",
        "Basic abc",
    ):
        response = await client.get("/api/auth/me", headers={"Authorization": value})
        assert response.status_code == 401, value
        assert response.json()["status"] == 401


async def test_users_and_teams_lifecycle_is_audited(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    user = await client.post(
        "/api/users",
        headers=admin_headers,
        json={
            "email": "Ana@Example.com",
            "name": "Ana",
            "password": "password-123",
            "role": "responder",
        },
    )
    assert user.status_code == 201
    assert user.json()["email"] == "ana@example.com"
    duplicate = await client.post(
        "/api/users",
        headers=admin_headers,
        json={"email": "ana@example.com", "name": "Ana 2", "password": "password-123"},
    )
    assert duplicate.status_code == 409
    team = await client.post("/api/teams", headers=admin_headers, json={"name": "payments"})
    assert team.status_code == 201
    team_id, user_id = team.json()["id"], user.json()["id"]
    joined = await client.post(
        f"/api/teams/{team_id}/members", headers=admin_headers, json={"user_id": user_id}
    )
    assert joined.json()["member_ids"] == [user_id]
    # The member's token carries the team.
    login = await client.post(
        "/api/auth/login", json={"email": "ana@example.com", "password": "password-123"}
    )
    me = await client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"}
    )
    assert me.json()["team_ids"] == [team_id]

    audit = await client.get("/api/audit", headers=admin_headers)
    actions = [e["action"] for e in audit.json()["items"]]
    assert actions[:3] == ["team.member.add", "team.create", "user.create"]
    newest = audit.json()["items"][0]
    assert newest["actor_name"] == ADMIN_EMAIL
    assert newest["target_type"] == "team" and newest["target_id"] == str(team_id)


async def test_people_change_their_own_password_but_not_their_role(
    client: httpx.AsyncClient, login_as: UserFactory
) -> None:
    headers = await login_as("viewer")
    me = (await client.get("/api/auth/me", headers=headers)).json()
    own = await client.patch(
        f"/api/users/{me['id']}", headers=headers, json={"password": "new-password-456"}
    )
    assert own.status_code == 200
    relogin = await client.post(
        "/api/auth/login", json={"email": me["name"], "password": "new-password-456"}
    )
    assert relogin.status_code == 200
    promote = await client.patch(f"/api/users/{me['id']}", headers=headers, json={"role": "admin"})
    assert promote.status_code == 403
    other = await client.patch("/api/users/1", headers=headers, json={"name": "x"})
    assert other.status_code == 403


async def test_disabled_user_cannot_log_in_or_use_an_old_token(
    client: httpx.AsyncClient, admin_headers: dict[str, str], login_as: UserFactory
) -> None:
    headers = await login_as("editor")
    me = (await client.get("/api/auth/me", headers=headers)).json()
    disabled = await client.patch(
        f"/api/users/{me['id']}", headers=admin_headers, json={"is_active": False}
    )
    assert disabled.json()["is_active"] is False
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 401
    login = await client.post(
        "/api/auth/login", json={"email": me["name"], "password": "password-123"}
    )
    assert login.status_code == 401

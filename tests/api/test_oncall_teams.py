"""On-call API on both databases: schedules and escalation policies belong to a team (lists
filter by it; only members or admins change them) and overrides are edited in place with
the same validation as when they were created."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.test_oncall_api import make_user, schedule_body
from tests.conftest import UserFactory

H = dict[str, str]


async def me(client: httpx.AsyncClient, headers: H) -> int:
    user_id: int = (await client.get("/api/auth/me", headers=headers)).json()["id"]
    return user_id


async def team(client: httpx.AsyncClient, admin: H, name: str, members: list[int]) -> int:
    created = await client.post("/api/teams", headers=admin, json={"name": name})
    assert created.status_code == 201, created.text
    for user_id in members:
        joined = await client.post(
            f"/api/teams/{created.json()['id']}/members", headers=admin, json={"user_id": user_id}
        )
        assert joined.status_code in (200, 201), joined.text
    team_id: int = created.json()["id"]
    return team_id


def policy_body(name: str, user: int, team_id: int | None) -> dict[str, Any]:
    return {
        "name": name,
        "team_id": team_id,
        "steps": [{"kind": "notify_users", "targets": [user]}],
    }


async def test_only_members_or_admins_change_a_teams_schedules_and_policies(
    client: httpx.AsyncClient, admin_headers: H, login_as: UserFactory, key_with: UserFactory
) -> None:
    payer, searcher = await login_as("editor"), await login_as("editor")
    payments = await team(client, admin_headers, "payments", [await me(client, payer)])
    search = await team(client, admin_headers, "search", [await me(client, searcher)])
    ivy = await make_user(client, admin_headers, "Ivy")

    body = schedule_body([ivy], team_id=payments)
    created = await client.post("/api/oncall/schedules", headers=payer, json=body)
    assert created.status_code == 201, created.text
    sid = created.json()["id"]
    assert created.json()["team_id"] == payments
    other = await client.post(
        "/api/oncall/schedules", headers=searcher, json=schedule_body([ivy], team_id=search)
    )
    assert other.status_code == 201
    shared = await client.post("/api/oncall/schedules", headers=searcher, json=schedule_body([ivy]))
    assert shared.status_code == 201

    listed = await client.get(f"/api/oncall/schedules?team_id={payments}", headers=searcher)
    assert [s["id"] for s in listed.json()["items"]] == [sid]
    everything = await client.get("/api/oncall/schedules", headers=searcher)
    assert len(everything.json()["items"]) == 3

    # Somebody of another team cannot change, delete or override payments' schedule.
    window = {"user_id": ivy, "start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z"}
    attempts = [
        ("PUT", f"/api/oncall/schedules/{sid}", {**body, "description": "mine now"}),
        ("DELETE", f"/api/oncall/schedules/{sid}", None),
        ("POST", f"/api/oncall/schedules/{sid}/overrides", window),
        ("POST", "/api/oncall/schedules", schedule_body([ivy], team_id=payments)),
    ]
    for method, path, payload in attempts:
        refused = await client.request(method, path, headers=searcher, json=payload)
        assert refused.status_code == 403, (method, path, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        detail = refused.json()["detail"]
        assert "team 'payments'" in detail and "only its members or an admin" in detail
    unchanged = await client.get(f"/api/oncall/schedules/{sid}", headers=searcher)
    assert unchanged.json()["description"] == ""
    # ... nor move their own schedule into payments.
    moved = await client.put(
        f"/api/oncall/schedules/{other.json()['id']}",
        headers=searcher,
        json={**schedule_body([ivy], team_id=payments), "name": other.json()["name"]},
    )
    assert moved.status_code == 403

    override = await client.post(
        f"/api/oncall/schedules/{sid}/overrides", headers=payer, json=window
    )
    assert override.status_code == 201, override.text
    oid = override.json()["id"]
    patch = await client.patch(
        f"/api/oncall/schedules/{sid}/overrides/{oid}",
        headers=searcher,
        json={"end": "2026-01-03T00:00:00Z"},
    )
    assert patch.status_code == 403
    gone = await client.delete(f"/api/oncall/schedules/{sid}/overrides/{oid}", headers=searcher)
    assert gone.status_code == 403
    edited = await client.put(
        f"/api/oncall/schedules/{sid}", headers=payer, json={**body, "description": "ours"}
    )
    assert edited.status_code == 200, edited.text
    # Admins change anything; a write-scoped key belongs to no team, so only team-less ones.
    by_admin = await client.put(
        f"/api/oncall/schedules/{sid}", headers=admin_headers, json={**body, "description": "x"}
    )
    assert by_admin.status_code == 200
    writer_key = await key_with("write")
    keyed = await client.put(f"/api/oncall/schedules/{sid}", headers=writer_key, json=body)
    assert keyed.status_code == 403 and "API key" in keyed.json()["detail"]
    free = await client.put(
        f"/api/oncall/schedules/{shared.json()['id']}",
        headers=writer_key,
        json={**schedule_body([ivy]), "name": shared.json()["name"]},
    )
    assert free.status_code == 200

    # Policies follow the same rule.
    policy = await client.post(
        "/api/oncall/escalation-policies", headers=payer, json=policy_body("pay", ivy, payments)
    )
    assert policy.status_code == 201, policy.text
    pid = policy.json()["id"]
    foreign = await client.post(
        "/api/oncall/escalation-policies",
        headers=searcher,
        json=policy_body("sneaky", ivy, payments),
    )
    assert foreign.status_code == 403
    own = await client.post(
        "/api/oncall/escalation-policies", headers=searcher, json=policy_body("find", ivy, search)
    )
    assert own.status_code == 201
    policies = await client.get(f"/api/oncall/escalation-policies?team_id={search}", headers=payer)
    assert [p["name"] for p in policies.json()["items"]] == ["find"]
    changed = await client.put(
        f"/api/oncall/escalation-policies/{pid}",
        headers=searcher,
        json=policy_body("pay", ivy, payments),
    )
    assert changed.status_code == 403 and "escalation policy" in changed.json()["detail"]
    deleted = await client.delete(f"/api/oncall/escalation-policies/{pid}", headers=searcher)
    assert deleted.status_code == 403

    # Leaving the team takes the right away at once (membership is read live).
    payer_id = await me(client, payer)
    left = await client.delete(f"/api/teams/{payments}/members/{payer_id}", headers=admin_headers)
    assert left.status_code == 204
    after = await client.delete(f"/api/oncall/escalation-policies/{pid}", headers=payer)
    assert after.status_code == 403
    assert (
        await client.delete(f"/api/oncall/escalation-policies/{pid}", headers=admin_headers)
    ).status_code == 204


async def test_an_override_is_edited_in_place_with_the_create_rules(
    client: httpx.AsyncClient, admin_headers: H, login_as: UserFactory
) -> None:
    jo = await make_user(client, admin_headers, "Jo")
    kim = await make_user(client, admin_headers, "Kim")
    lee = await make_user(client, admin_headers, "Lee")
    sid = (
        await client.post("/api/oncall/schedules", headers=admin_headers, json=schedule_body([lee]))
    ).json()["id"]
    url = f"/api/oncall/schedules/{sid}/overrides"
    first = await client.post(
        url,
        headers=admin_headers,
        json={"user_id": jo, "start": "2026-04-01T10:00:00Z", "end": "2026-04-01T12:00:00Z"},
    )
    second = await client.post(
        url,
        headers=admin_headers,
        json={"user_id": kim, "start": "2026-04-01T13:00:00Z", "end": "2026-04-01T14:00:00Z"},
    )
    assert first.status_code == second.status_code == 201
    oid = first.json()["id"]

    async def on_call(at: str) -> int | None:
        r = await client.get(f"/api/oncall/schedules/{sid}/on-call?at={at}", headers=admin_headers)
        user: int | None = r.json()["user_id"]
        return user

    # Later end, overlapping its own old window: fine.
    moved = await client.patch(
        f"{url}/{oid}", headers=admin_headers, json={"end": "2026-04-01T12:30:00Z"}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["start"] == "2026-04-01T10:00:00Z"
    assert moved.json()["end"] == "2026-04-01T12:30:00Z"
    assert await on_call("2026-04-01T12:15:00Z") == jo
    handed = await client.patch(f"{url}/{oid}", headers=admin_headers, json={"user_id": kim})
    assert handed.status_code == 200 and handed.json()["user_id"] == kim
    assert await on_call("2026-04-01T11:00:00Z") == kim

    refusals = [
        ({"end": "2026-04-01T13:30:00Z"}, 409, "overlaps override"),
        ({"start": "2026-04-01T12:45:00Z"}, 400, "at or before it starts"),
        (
            {"start": "2026-04-01T09:00:00Z", "end": "2026-04-01T08:00:00Z"},
            400,
            "at or before it starts",
        ),
        ({"user_id": 999999}, 400, "unknown user"),
        ({"start": None}, 422, "cannot be null"),
        ({"start": "tomorrow-ish"}, 422, ""),
        ({"colour": "red"}, 422, ""),
    ]
    for patch, status, words in refusals:
        refused = await client.patch(f"{url}/{oid}", headers=admin_headers, json=patch)
        assert refused.status_code == status, (patch, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert words in refused.text, refused.text
    listed = await client.get(url, headers=admin_headers)
    kept = next(o for o in listed.json()["items"] if o["id"] == oid)
    assert (kept["user_id"], kept["start"], kept["end"]) == (
        kim,
        "2026-04-01T10:00:00Z",
        "2026-04-01T12:30:00Z",
    )
    # A swap may overlap an override: making it one lets it move onto the other's window.
    swap = await client.patch(
        f"{url}/{oid}",
        headers=admin_headers,
        json={"replaces_user_id": lee, "end": "2026-04-01T13:30:00Z"},
    )
    assert swap.status_code == 200 and swap.json()["replaces_user_id"] == lee
    assert (
        await client.patch(f"{url}/424242", headers=admin_headers, json={"user_id": jo})
    ).status_code == 404
    other = (
        await client.post("/api/oncall/schedules", headers=admin_headers, json=schedule_body([lee]))
    ).json()["id"]
    wrong_schedule = await client.patch(
        f"/api/oncall/schedules/{other}/overrides/{oid}", headers=admin_headers, json={}
    )
    assert wrong_schedule.status_code == 404
    assert (await client.patch(f"{url}/{oid}", json={"user_id": jo})).status_code == 401
    for role in ("viewer", "responder"):
        headers = await login_as(role)
        refused = await client.patch(f"{url}/{oid}", headers=headers, json={"user_id": jo})
        assert refused.status_code == 403
    audit = await client.get("/api/audit?action=oncall.override.update", headers=admin_headers)
    assert len(audit.json()["items"]) == 3

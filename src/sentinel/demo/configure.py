"""The demo's configuration through the public API: people, a team, schedules, an
escalation policy, an alert route, a runbook and SLOs. Re-running finds what exists by
name and brings it up to date instead of failing."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sentinel.demo import scenario
from sentinel.demo.client import ApiError, SentinelClient


@dataclass
class OnCall:
    admin: dict[str, Any]
    users: list[dict[str, Any]]
    team: dict[str, Any]
    primary: dict[str, Any]
    secondary: dict[str, Any]
    policy: dict[str, Any]
    route: dict[str, Any]
    runbook: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def find_admin(client: SentinelClient, admin_email: str) -> dict[str, Any]:
    """The bootstrap admin, else the first active admin."""
    admins = [u for u in client.items("/api/users") if u["role"] == "admin" and u["is_active"]]
    if not admins:
        raise ApiError("there is no active admin user to put on call")
    for user in admins:
        if user["email"] == admin_email.lower():
            return user
    return admins[0]


def ensure_user(client: SentinelClient, email: str, name: str, role: str) -> dict[str, Any]:
    existing = client.find("/api/users", email=email)
    if existing is not None:
        return existing
    body = {"email": email, "name": name, "role": role, "password": secrets.token_urlsafe(16)}
    user: dict[str, Any] = client.post("/api/users", body)
    return user


def ensure_team(client: SentinelClient, member_ids: list[int]) -> dict[str, Any]:
    team = client.find("/api/teams", name=scenario.TEAM)
    if team is None:
        team = client.post(
            "/api/teams", {"name": scenario.TEAM, "description": "Owns the demo shop."}
        )
    assert team is not None
    for user_id in member_ids:
        if user_id not in team["member_ids"]:
            team = client.post(f"/api/teams/{team['id']}/members", {"user_id": user_id})
    assert team is not None
    return team


CONTACT_LABEL = "sentinel demo"


def ensure_contact(client: SentinelClient, user: dict[str, Any], kind: str, address: str) -> None:
    """One contact method of the demo's (labelled so) with a rule to use it at once; an
    older demo method with another address (the pager's port changes per run) goes."""
    base = f"/api/oncall/users/{user['id']}"
    methods = client.get(f"{base}/contact-methods")
    ours = [m for m in methods if m["label"] == CONTACT_LABEL]
    method = next((m for m in ours if m["kind"] == kind and m["address"] == address), None)
    if method is None:
        method = client.post(
            f"{base}/contact-methods", {"kind": kind, "address": address, "label": CONTACT_LABEL}
        )
    rules = client.get(f"{base}/notification-rules")
    for old in ours:
        if old["id"] != method["id"]:
            for rule in rules:
                if rule["contact_method_id"] == old["id"]:
                    client.request("DELETE", f"{base}/notification-rules/{rule['id']}")
            client.request("DELETE", f"{base}/contact-methods/{old['id']}")
    if not any(r["contact_method_id"] == method["id"] for r in rules):
        client.post(
            f"{base}/notification-rules", {"contact_method_id": method["id"], "delay_minutes": 0}
        )


def ensure_override(
    client: SentinelClient, schedule_id: int, user_id: int, now_ns: int, notes: list[str]
) -> None:
    body = scenario.override_body(user_id, now_ns)
    path = f"/api/oncall/schedules/{schedule_id}/overrides"
    if any(o["user_id"] == user_id for o in client.items(path)):
        return
    try:
        client.post(path, body)
    except ApiError as exc:  # an overlapping override of someone else's: keep theirs
        notes.append(f"override not added: {exc}")


def oncall(
    client: SentinelClient,
    admin_email: str,
    server_url: str,
    now_ns: int,
    pager: Callable[[str], str] | None = None,
) -> OnCall:
    """People, team, schedules with the admin on call now, policy, route and runbook.
    `pager` gives a user's address on the demo's page receiver, when one runs."""
    admin = find_admin(client, admin_email)
    users = [ensure_user(client, *person) for person in scenario.DEMO_USERS]
    alice, bob, priya = users
    team = ensure_team(client, [admin["id"], *(u["id"] for u in users)])
    for user in (admin, *users):
        # Pages go to the demo's own receiver when it runs live next to the server; else
        # by email (without SMTP settings the attempts show as failed).
        if pager is not None:
            ensure_contact(client, user, "webhook", pager(user["email"]))
        else:
            ensure_contact(client, user, "email", user["email"])
    primary, _ = client.upsert(
        "/api/oncall/schedules",
        scenario.schedule_body(
            scenario.PRIMARY, [admin["id"], alice["id"], bob["id"]], now_ns, "weekly"
        ),
    )
    secondary, _ = client.upsert(
        "/api/oncall/schedules",
        scenario.schedule_body(
            scenario.SECONDARY, [priya["id"], bob["id"], alice["id"]], now_ns, "daily"
        ),
    )
    notes: list[str] = []
    ensure_override(client, primary["id"], bob["id"], now_ns, notes)
    policy, _ = client.upsert(
        "/api/oncall/escalation-policies",
        scenario.policy_body(primary["id"], secondary["id"], team["id"]),
    )
    route, _ = client.upsert("/api/alerting/routes", scenario.route_body(policy["id"], team["id"]))
    runbook, _ = client.upsert("/api/runbooks", scenario.runbook_body(server_url))
    return OnCall(admin, users, team, primary, secondary, policy, route, runbook, notes)


def slos(client: SentinelClient) -> list[tuple[dict[str, Any], bool]]:
    """The demo's SLOs: created once, left as they are when they exist (their minutes
    are the history the worker has built)."""
    out = []
    existing = {s["name"]: s for s in client.items("/api/slo")}
    for body in scenario.slo_bodies():
        if body["name"] in existing:
            out.append((existing[body["name"]], False))
        else:
            out.append((client.post("/api/slo", body), True))
    return out

"""On-call API on both databases: schedules, who is on call, final shifts with gaps,
overrides and swaps, iCalendar export, escalation policies, contact methods and rules."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import icalendar

from tests.conftest import UserFactory


async def make_user(client: httpx.AsyncClient, admin: dict[str, str], name: str) -> int:
    response = await client.post(
        "/api/users",
        headers=admin,
        json={
            "email": f"{name.split()[0].strip(',').lower()}-{uuid.uuid4().hex[:6]}@example.com",
            "name": name,
            "password": "password-123",
            "role": "responder",
        },
    )
    assert response.status_code == 201, response.text
    user_id: int = response.json()["id"]
    return user_id


def schedule_body(users: list[int], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": f"primary-{uuid.uuid4().hex[:6]}",
        "time_zone": "Europe/Berlin",
        "layers": [
            {
                "name": "weekly",
                "rotation": "daily",
                "participants": users,
                "start": "2026-03-23T09:00:00",
            }
        ],
    }
    body.update(overrides)
    return body


async def test_schedule_who_is_on_call_across_dst_and_overrides(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    alice = await make_user(client, admin_headers, "Alice")
    bob = await make_user(client, admin_headers, "Bob")
    created = await client.post(
        "/api/oncall/schedules", headers=admin_headers, json=schedule_body([alice, bob])
    )
    assert created.status_code == 201, created.text
    sid = created.json()["id"]

    # Berlin switches to summer time on 2026-03-29: 09:00 local is 08:00 UTC before, 07:00 after.
    def at(ts: str) -> str:
        return f"/api/oncall/schedules/{sid}/on-call?at={ts}"

    before = (await client.get(at("2026-03-28T07:59:00Z"), headers=admin_headers)).json()
    assert before["user_id"] == alice  # 23 alice, 24 bob, ..., 27 alice; 28 bob from 08:00Z
    after_handoff = (await client.get(at("2026-03-28T08:00:00Z"), headers=admin_headers)).json()
    assert after_handoff["user_id"] == bob
    summer = (await client.get(at("2026-03-30T07:00:00Z"), headers=admin_headers)).json()
    assert summer["user_id"] == bob and summer["shift"]["start"].startswith("2026-03-30T07:00")

    shifts = await client.get(
        f"/api/oncall/schedules/{sid}/shifts",
        headers=admin_headers,
        params={"start": "2026-03-28T00:00:00Z", "end": "2026-03-31T00:00:00Z"},
    )
    assert shifts.status_code == 200, shifts.text
    starts = [s["start"] for s in shifts.json()["shifts"]]
    assert starts[1:] == [
        "2026-03-28T08:00:00Z",
        "2026-03-29T07:00:00Z",
        "2026-03-30T07:00:00Z",
    ]
    assert shifts.json()["gaps"] == []

    override = await client.post(
        f"/api/oncall/schedules/{sid}/overrides",
        headers=admin_headers,
        json={"user_id": alice, "start": "2026-03-30T10:00:00Z", "end": "2026-03-30T12:00:00Z"},
    )
    assert override.status_code == 201, override.text
    assert (await client.get(at("2026-03-30T11:00:00Z"), headers=admin_headers)).json()[
        "user_id"
    ] == alice
    overlapping = await client.post(
        f"/api/oncall/schedules/{sid}/overrides",
        headers=admin_headers,
        json={"user_id": bob, "start": "2026-03-30T11:00:00Z", "end": "2026-03-30T13:00:00Z"},
    )
    assert overlapping.status_code == 409
    assert overlapping.headers["content-type"].startswith("application/problem+json")
    inverted = await client.post(
        f"/api/oncall/schedules/{sid}/overrides",
        headers=admin_headers,
        json={"user_id": bob, "start": "2026-03-30T13:00:00Z", "end": "2026-03-30T12:00:00Z"},
    )
    assert inverted.status_code == 400 and "at or before it starts" in inverted.json()["detail"]

    swap = await client.post(
        f"/api/oncall/schedules/{sid}/overrides",
        headers=admin_headers,
        json={
            "user_id": alice,
            "replaces_user_id": bob,
            "start": "2026-03-28T00:00:00Z",
            "end": "2026-03-29T00:00:00Z",
        },
    )
    assert swap.status_code == 201
    assert (await client.get(at("2026-03-28T12:00:00Z"), headers=admin_headers)).json()[
        "user_id"
    ] == alice

    audit = await client.get("/api/audit?target_type=schedule", headers=admin_headers)
    actions = {e["action"] for e in audit.json()["items"]}
    assert {"oncall.schedule.create", "oncall.override.create"} <= actions


async def test_gaps_from_business_hours_layer(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    carol = await make_user(client, admin_headers, "Carol")
    body = schedule_body([carol], time_zone="UTC")
    body["layers"][0]["restrictions"] = [
        {"weekdays": [1, 2, 3, 4, 5], "start": "09:00", "end": "17:00"}
    ]
    sid = (await client.post("/api/oncall/schedules", headers=admin_headers, json=body)).json()[
        "id"
    ]
    shifts = (
        await client.get(
            f"/api/oncall/schedules/{sid}/shifts",
            headers=admin_headers,
            params={"start": "2026-04-06T00:00:00Z", "end": "2026-04-07T00:00:00Z"},
        )
    ).json()
    assert [(s["start"], s["end"]) for s in shifts["shifts"]] == [
        ("2026-04-06T09:00:00Z", "2026-04-06T17:00:00Z")
    ]
    assert [(g["start"], g["end"]) for g in shifts["gaps"]] == [
        ("2026-04-06T00:00:00Z", "2026-04-06T09:00:00Z"),
        ("2026-04-06T17:00:00Z", "2026-04-07T00:00:00Z"),
    ]
    night = await client.get(
        f"/api/oncall/schedules/{sid}/on-call?at=2026-04-06T20:00:00Z", headers=admin_headers
    )
    assert night.json()["user_id"] is None


async def test_ical_export_per_schedule_and_user_parses(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    dave = await make_user(client, admin_headers, "Dave, the SRE")
    erin = await make_user(client, admin_headers, "Erin")
    today = datetime.now(UTC).date() - timedelta(days=3)
    body = schedule_body(
        [dave, erin],
        layers=[{"rotation": "daily", "participants": [dave, erin], "start": f"{today}T09:00:00"}],
    )
    sid = (await client.post("/api/oncall/schedules", headers=admin_headers, json=body)).json()[
        "id"
    ]
    response = await client.get(f"/api/oncall/schedules/{sid}.ics", headers=admin_headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(response.content)
    events = list(cal.walk("VEVENT"))
    assert len(events) >= 60
    summaries = {str(e["SUMMARY"]) for e in events}
    assert any("Dave, the SRE" in s for s in summaries) and any("Erin" in s for s in summaries)
    first, second = sorted(events, key=lambda e: e["DTSTART"].dt)[1:3]
    assert first["DTEND"].dt == second["DTSTART"].dt
    assert first["DTSTART"].dt.astimezone(datetime.now().astimezone().tzinfo) is not None

    # A calendar client subscribes without headers, by the feed link's token.
    link = await client.get(f"/api/oncall/schedules/{sid}/calendar-link", headers=admin_headers)
    assert link.status_code == 200
    feed = link.json()["url"]
    assert feed.startswith(f"http://sentinel.test/api/oncall/schedules/{sid}.ics?token=")
    subscribed = await client.get(feed)
    assert subscribed.status_code == 200
    assert len(list(icalendar.Calendar.from_ical(subscribed.content).walk("VEVENT"))) == len(events)
    assert (await client.get(feed[:-4] + "AAAA")).status_code == 403
    user_feed = (
        await client.get(f"/api/oncall/users/{erin}/calendar-link", headers=admin_headers)
    ).json()["url"]
    assert (await client.get(user_feed)).status_code == 200
    # A schedule's token does not open another feed.
    token = feed.split("token=")[1]
    assert (await client.get(f"/api/oncall/users/{erin}.ics?token={token}")).status_code == 403

    mine = await client.get(f"/api/oncall/users/{erin}.ics", headers=admin_headers)
    user_events = list(icalendar.Calendar.from_ical(mine.content).walk("VEVENT"))
    assert user_events and all("Erin" in str(e["SUMMARY"]) for e in user_events)
    assert len({str(e["UID"]) for e in user_events}) == len(user_events)


async def test_schedule_bad_input_is_a_clear_4xx(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    frank = await make_user(client, admin_headers, "Frank")
    cases: list[tuple[dict[str, Any], str]] = [
        (schedule_body([frank], time_zone="Mars/Olympus"), "unknown time zone"),
        (schedule_body([999999]), "unknown user"),
        (
            schedule_body(
                [frank],
                layers=[
                    {"rotation": "custom", "participants": [frank], "start": "2026-01-01T09:00:00"}
                ],
            ),
            "shift_length_hours",
        ),
        (
            schedule_body(
                [frank],
                layers=[
                    {
                        "rotation": "daily",
                        "participants": [frank],
                        "start": "2026-01-01T09:00:00+01:00",
                    }
                ],
            ),
            "offset",
        ),
        (
            schedule_body(
                [frank],
                layers=[{"rotation": "daily", "participants": [], "start": "2026-01-01T09:00:00"}],
            ),
            "",
        ),
    ]
    for body, words in cases:
        response = await client.post("/api/oncall/schedules", headers=admin_headers, json=body)
        assert 400 <= response.status_code < 500, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert words in response.text
    listed = await client.get("/api/oncall/schedules", headers=admin_headers)
    assert listed.json()["items"] == []
    sid = (
        await client.post(
            "/api/oncall/schedules", headers=admin_headers, json=schedule_body([frank])
        )
    ).json()["id"]
    inverted = await client.get(
        f"/api/oncall/schedules/{sid}/shifts",
        headers=admin_headers,
        params={"start": "2026-04-07T00:00:00Z", "end": "2026-04-06T00:00:00Z"},
    )
    assert inverted.status_code == 400


async def test_escalation_policies_crud_and_cycles(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    gina = await make_user(client, admin_headers, "Gina")
    sid = (
        await client.post(
            "/api/oncall/schedules", headers=admin_headers, json=schedule_body([gina])
        )
    ).json()["id"]
    base = {
        "name": "db-team",
        "repeat": 2,
        "steps": [
            {"kind": "notify_schedule", "targets": [sid]},
            {"kind": "wait", "wait_minutes": 5},
            {"kind": "notify_users", "targets": [gina]},
        ],
    }
    first = await client.post("/api/oncall/escalation-policies", headers=admin_headers, json=base)
    assert first.status_code == 201, first.text
    p1 = first.json()["id"]
    second = await client.post(
        "/api/oncall/escalation-policies",
        headers=admin_headers,
        json={
            "name": "platform",
            "steps": [
                {"kind": "notify_users", "targets": [gina]},
                {"kind": "escalate_to", "targets": [p1]},
            ],
        },
    )
    assert second.status_code == 201, second.text
    p2 = second.json()["id"]
    # Making db-team escalate to platform closes a cycle: refused, nothing changes.
    cyclic = {**base, "steps": [*base["steps"], {"kind": "escalate_to", "targets": [p2]}]}
    response = await client.put(
        f"/api/oncall/escalation-policies/{p1}", headers=admin_headers, json=cyclic
    )
    assert response.status_code == 400 and "cycle" in response.json()["detail"]
    unchanged = await client.get(f"/api/oncall/escalation-policies/{p1}", headers=admin_headers)
    assert len(unchanged.json()["steps"]) == 3
    for bad, words in [
        ({"name": "x", "steps": []}, ""),
        ({"name": "x", "steps": [{"kind": "notify_users", "targets": [424242]}]}, "unknown user"),
        (
            {"name": "x", "steps": [{"kind": "notify_schedule", "targets": [424242]}]},
            "unknown schedule",
        ),
        ({"name": "x", "steps": [{"kind": "wait", "wait_minutes": 0}]}, "wait must be"),
        ({"name": "db-team", "steps": [{"kind": "notify_users", "targets": [gina]}]}, "taken"),
    ]:
        response = await client.post(
            "/api/oncall/escalation-policies", headers=admin_headers, json=bad
        )
        assert 400 <= response.status_code < 500 and words in response.text, response.text
    in_use = await client.delete(f"/api/oncall/escalation-policies/{p1}", headers=admin_headers)
    assert in_use.status_code == 409
    schedule_in_use = await client.delete(f"/api/oncall/schedules/{sid}", headers=admin_headers)
    assert schedule_in_use.status_code == 409
    assert (
        await client.delete(f"/api/oncall/escalation-policies/{p2}", headers=admin_headers)
    ).status_code == 204
    audit = await client.get("/api/audit?target_type=escalation_policy", headers=admin_headers)
    assert {"oncall.policy.create", "oncall.policy.delete"} <= {
        e["action"] for e in audit.json()["items"]
    }


async def test_contact_methods_and_rules(
    client: httpx.AsyncClient, admin_headers: dict[str, str], login_as: UserFactory
) -> None:
    me_headers = await login_as("responder")
    me = (await client.get("/api/auth/me", headers=me_headers)).json()["id"]
    other = await make_user(client, admin_headers, "Other")
    url = f"/api/oncall/users/{me}/contact-methods"
    good = [
        {"kind": "email", "address": "me@example.com"},
        {"kind": "sms", "address": "+4915112345678"},
        {"kind": "voice", "address": "+14155550100"},
        {"kind": "slack", "address": "https://hooks.slack.com/services/T0/B0/x"},
        {"kind": "slack", "address": "#ops"},
        {"kind": "webhook", "address": "https://example.com/hook"},
        {"kind": "catchall", "address": "http://127.0.0.1:8000/notify"},
        {"kind": "pagerduty", "address": "R0123456789ABCDEF0123456789ABCDE"},
    ]
    ids = []
    for body in good:
        response = await client.post(url, headers=me_headers, json=body)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    for body in [
        {"kind": "email", "address": "not-an-email"},
        {"kind": "sms", "address": "015112345678"},
        {"kind": "webhook", "address": "ftp://example.com"},
        {"kind": "pigeon", "address": "coop"},
    ]:
        response = await client.post(url, headers=me_headers, json=body)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert len((await client.get(url, headers=me_headers)).json()) == len(good)
    # Others' contact setup: a responder may not change it, a writer may.
    foreign = f"/api/oncall/users/{other}/contact-methods"
    denied = await client.post(foreign, headers=me_headers, json=good[0])
    assert denied.status_code == 403
    assert (await client.post(foreign, headers=admin_headers, json=good[0])).status_code == 201

    rules = f"/api/oncall/users/{me}/notification-rules"
    for method, delay in ((ids[3], 0), (ids[1], 5), (ids[2], 10)):
        response = await client.post(
            rules, headers=me_headers, json={"contact_method_id": method, "delay_minutes": delay}
        )
        assert response.status_code == 201, response.text
    listed = (await client.get(rules, headers=me_headers)).json()
    assert [r["delay_minutes"] for r in listed] == [0, 5, 10]
    wrong = await client.post(
        rules, headers=me_headers, json={"contact_method_id": 999999, "delay_minutes": 0}
    )
    assert wrong.status_code == 404
    assert (await client.delete(f"{url}/{ids[0]}", headers=me_headers)).status_code == 204
    assert (await client.delete(f"{url}/{ids[0]}", headers=me_headers)).status_code == 404


async def test_auth_matrix(
    client: httpx.AsyncClient, admin_headers: dict[str, str], login_as: UserFactory
) -> None:
    viewer = await login_as("viewer")
    responder = await login_as("responder")
    henry = await make_user(client, admin_headers, "Henry")
    sid = (
        await client.post(
            "/api/oncall/schedules", headers=admin_headers, json=schedule_body([henry])
        )
    ).json()["id"]
    reads = [
        "/api/oncall/schedules",
        f"/api/oncall/schedules/{sid}",
        f"/api/oncall/schedules/{sid}.ics",
        f"/api/oncall/schedules/{sid}/on-call",
        f"/api/oncall/schedules/{sid}/overrides",
        f"/api/oncall/users/{henry}.ics",
        "/api/oncall/escalation-policies",
    ]
    for path in reads:
        assert (await client.get(path)).status_code == 401, path
        assert (await client.get(path, headers=viewer)).status_code == 200, path
    writes = [
        ("POST", "/api/oncall/schedules", schedule_body([henry])),
        ("PUT", f"/api/oncall/schedules/{sid}", schedule_body([henry])),
        (
            "POST",
            "/api/oncall/escalation-policies",
            {"name": "p", "steps": [{"kind": "notify_users", "targets": [henry]}]},
        ),
        (
            "POST",
            f"/api/oncall/schedules/{sid}/overrides",
            {"user_id": henry, "start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z"},
        ),
    ]
    for method, path, body in writes:
        assert (await client.request(method, path, json=body)).status_code == 401, path
        for headers in (viewer, responder):
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status_code == 403, path
    for path in (
        "/api/oncall/schedules/424242",
        "/api/oncall/schedules/424242.ics",
        "/api/oncall/schedules/424242/on-call",
        "/api/oncall/users/424242.ics",
        "/api/oncall/escalation-policies/424242",
        "/api/oncall/users/424242/contact-methods",
    ):
        response = await client.get(path, headers=admin_headers)
        assert response.status_code == 404, path

"""Bad input to the incident endpoints is a clear 4xx and changes nothing (both databases):
numbers past what the database holds, fields PATCH does not change, blank text, links
that are not web links, and runbook templates that cannot parse."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from sentinel.incidents.models import Incident, Runbook, TimelineEntry
from sentinel.storage.engine import Database

H = dict[str, str]
HUGE = 99_999_999_999_999_999_999  # past 2**63: no database integer holds it


async def _state(db: Database) -> tuple[Any, ...]:
    async with db.transaction() as s:
        rows = (await s.execute(select(Incident).order_by(Incident.id))).scalars().all()
        shown = [(i.id, i.status, i.severity, i.title, i.chat_url, i.updated_at) for i in rows]
        entries = await s.scalar(select(func.count()).select_from(TimelineEntry))
        books = await s.scalar(select(func.count()).select_from(Runbook))
    return shown, entries, books


def _problem(r: httpx.Response, status: int, *words: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    for word in words:
        assert word in r.json()["detail"], (word, r.json()["detail"])


async def test_numbers_past_what_the_database_holds_are_a_422(
    client: httpx.AsyncClient, admin_headers: H, db: Database
) -> None:
    r = await client.post("/api/incidents", json={"title": "Checkout down"}, headers=admin_headers)
    iid = r.json()["id"]
    before = await _state(db)
    for method, path, body in (
        ("GET", f"/api/incidents/{HUGE}", None),
        ("GET", f"/api/incidents/{HUGE}/timeline", None),
        ("GET", f"/api/incidents?team_id={HUGE}", None),
        ("POST", f"/api/incidents/{HUGE}/status", {"status": "acknowledged"}),
        ("POST", f"/api/incidents/{iid}/merge", {"source_id": HUGE}),
        ("POST", "/api/incidents", {"title": "x", "alert_ids": [HUGE]}),
        ("GET", f"/api/alerts/{HUGE}", None),
    ):
        r = await client.request(method, path, json=body, headers=admin_headers)
        _problem(r, 422, "out of range")
    assert await _state(db) == before


async def test_patch_refuses_what_it_does_not_change_and_blank_text(
    client: httpx.AsyncClient, admin_headers: H, db: Database
) -> None:
    r = await client.post("/api/incidents", json={"title": "Checkout down"}, headers=admin_headers)
    iid = r.json()["id"]
    before = await _state(db)
    for body, words in (
        ({"status": "closed"}, ("status", "/status")),
        ({"commander": "Ana"}, ("commander", "/assign")),
        ({"severity": "low", "stauts": "closed"}, ("stauts", "Extra inputs")),
        ({"title": "   "}, ("title", "blank")),
        ({"chat_url": "javascript:alert(1)"}, ("chat_url", "http")),
    ):
        r = await client.patch(f"/api/incidents/{iid}", json=body, headers=admin_headers)
        _problem(r, 422, *words)
    for path, body in (
        ("/updates", {"message": "  \n "}),
        ("/root-cause", {"summary": " "}),
        ("/assign", {"name": " ", "role": "scribe"}),
        ("/action-items", {"title": "\t"}),
    ):
        r = await client.post(f"/api/incidents/{iid}{path}", json=body, headers=admin_headers)
        _problem(r, 422, "blank")
    r = await client.post(
        "/api/incidents", json={"title": "x", "chat_url": "notaurl"}, headers=admin_headers
    )
    _problem(r, 422, "chat_url")
    r = await client.post(
        f"/api/incidents/{iid}/action-items",
        json={"title": "Add a canary", "status": "done"},
        headers=admin_headers,
    )
    _problem(r, 422, "status", "Extra inputs")
    assert await _state(db) == before
    # A web link is kept, and null clears it.
    r = await client.patch(
        f"/api/incidents/{iid}",
        json={"chat_url": "https://chat.example/c/1"},
        headers=admin_headers,
    )
    assert r.status_code == 200 and r.json()["chat_url"] == "https://chat.example/c/1"
    r = await client.patch(f"/api/incidents/{iid}", json={"chat_url": None}, headers=admin_headers)
    assert r.status_code == 200 and r.json()["chat_url"] is None


async def test_a_runbook_template_that_cannot_parse_is_refused_on_save(
    client: httpx.AsyncClient, admin_headers: H, db: Database
) -> None:
    before = await _state(db)
    for step, words in (
        ({"url": "http://127.0.0.1:9/x/{{ incident.id "}, ("steps.0", "unclosed")),
        ({"url": "http://127.0.0.1:9/x", "headers": {"X": "{{ owner }}"}}, ("must start with",)),
        ({"url": "http://127.0.0.1:9/x", "body": {"a": ["{{ incident.id | sh }}"]}}, ("filter",)),
        ({"url": "http://127.0.0.1:9/{{ incident..id }}"}, ("Cannot parse",)),
    ):
        body = {"name": "broken", "steps": [{"name": "s", **step}]}
        r = await client.post("/api/runbooks", json=body, headers=admin_headers)
        _problem(r, 422, *words)
    assert await _state(db) == before

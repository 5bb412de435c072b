"""iCalendar feeds keep each shift's UID from fetch to fetch (both databases).

A calendar client (Google, Outlook, Apple) re-fetches a subscribed feed and matches events by
UID. The feed's window starts a week before now, so its first shift is cut at a different
instant on every fetch; before, that shift's UID named the cut instant and the client
showed the shift twice or re-created it on every refresh."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import httpx
import icalendar
import pytest

from sentinel.oncall import routes
from tests.api.test_oncall_api import make_user, schedule_body


def events(body: bytes) -> dict[str, tuple[str, datetime, datetime]]:
    """UID -> (summary, start, end); every UID appears once."""
    out: dict[str, tuple[str, datetime, datetime]] = {}
    for event in icalendar.Calendar.from_ical(body).walk("VEVENT"):
        uid = str(event["UID"])
        assert uid not in out, f"UID {uid} used by two events"
        out[uid] = (str(event["SUMMARY"]), event["DTSTART"].dt, event["DTEND"].dt)
    return out


async def fetch_at(
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    at: datetime,
    url: str,
    headers: dict[str, str],
) -> dict[str, tuple[str, datetime, datetime]]:
    monkeypatch.setattr(routes, "now", lambda: at)
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return events(response.content)


async def test_shift_uids_are_stable_across_fetches(
    client: httpx.AsyncClient, admin_headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    gina = await make_user(client, admin_headers, "Gina")
    hank = await make_user(client, admin_headers, "Hank")
    # Daily hand-off at 09:00 Berlin (07:00 UTC from 2026-03-29 on).
    daily = schedule_body([gina, hank])
    daily_id = (
        await client.post("/api/oncall/schedules", headers=admin_headers, json=daily)
    ).json()["id"]
    # Gina alone on a weekly layer: one shift that never ends, in a second schedule.
    alone = schedule_body(
        [gina],
        layers=[{"rotation": "weekly", "participants": [gina], "start": "2025-01-06T09:00:00"}],
    )
    # A copy of the daily schedule: Gina's shifts in both start at the same instants.
    twin = schedule_body([gina, hank])
    for body in (alone, twin):
        created = await client.post("/api/oncall/schedules", headers=admin_headers, json=body)
        assert created.status_code == 201, created.text
    # Two fetches within one shift: both windows start inside the shift of 2026-04-03.
    first_at = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)
    later_at = datetime(2026, 4, 10, 18, 30, tzinfo=UTC)
    url = f"/api/oncall/schedules/{daily_id}.ics"
    first = await fetch_at(client, monkeypatch, first_at, url, admin_headers)
    later = await fetch_at(client, monkeypatch, later_at, url, admin_headers)

    assert first.keys() == later.keys()
    # The shift cut by the window shows (and is known by) its natural start, both times.
    opening = min(first.values(), key=lambda e: e[1])
    assert opening[1] == datetime(2026, 4, 3, 7, 0, tzinfo=UTC)
    assert opening[2] == datetime(2026, 4, 4, 7, 0, tzinfo=UTC)
    for uid, (summary, start, _) in first.items():
        assert later[uid][:2] == (summary, start)
    # Distinct shifts have distinct UIDs: one per day, Gina and Hank in turn.
    days = sorted(first.values(), key=lambda e: e[1])
    assert len(days) == len(first) >= 60
    assert all(a[2] == b[1] and a[0] != b[0] for a, b in itertools.pairwise(days))

    # Gina's own feed: shifts of all three schedules, the never-ending one included.
    mine_url = f"/api/oncall/users/{gina}.ics"
    mine_first = await fetch_at(client, monkeypatch, first_at, mine_url, admin_headers)
    mine_later = await fetch_at(client, monkeypatch, later_at, mine_url, admin_headers)
    assert mine_first.keys() == mine_later.keys()
    assert all(mine_first[uid][:2] == mine_later[uid][:2] for uid in mine_first)
    alone_events = [e for e in mine_first.values() if alone["name"] in e[0]]
    daily_events = sorted(e[1] for e in mine_first.values() if daily["name"] in e[0])
    twin_events = sorted(e[1] for e in mine_first.values() if twin["name"] in e[0])
    assert len(alone_events) == 1 and alone_events[0][1] < first_at
    assert daily_events == twin_events and len(daily_events) >= 30
    assert len(mine_first) == 1 + 2 * len(daily_events)

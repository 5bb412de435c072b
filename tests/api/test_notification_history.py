"""GET /api/notifications: the delivery attempts with their filters, the time window
included (the web UI's notification history follows the shared time range); both
databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from sentinel.notify.models import NotificationAttempt, OutboxMessage
from sentinel.storage.engine import Database

H = dict[str, str]
T0 = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


async def seed(db: Database) -> None:
    """Two pages of group 7 to user 3 (email ok at T0, sms failed at T0+10m, retried ok
    at T0+20m) and one webhook message of group 8 at T0+30m."""
    async with db.transaction() as session:
        for key, group, user, channel, address in (
            ("page:7:email", 7, 3, "email", "ada@example.com"),
            ("page:7:sms", 7, 3, "sms", "+4915112345678"),
            ("channel:8:webhook", 8, None, "webhook", "https://hooks.example.com/x"),
        ):
            session.add(
                OutboxMessage(
                    idempotency_key=key,
                    group_id=group,
                    user_id=user,
                    step_index=0 if user else None,
                    channel=channel,
                    address=address,
                    payload={},
                    status="sent",
                    next_attempt_at=T0,
                    due_at=T0,
                )
            )
        await session.flush()
        rows = await session.execute(select(OutboxMessage.idempotency_key, OutboxMessage.id))
        ids = {key: id_ for key, id_ in rows.all()}
        for key, minutes, channel, ok, code, error in (
            ("page:7:email", 0, "email", True, None, None),
            ("page:7:sms", 10, "sms", False, 503, "twilio answered 503"),
            ("page:7:sms", 20, "sms", True, 201, None),
            ("channel:8:webhook", 30, "webhook", True, 200, None),
        ):
            session.add(
                NotificationAttempt(
                    outbox_id=ids[key],
                    at=T0 + timedelta(minutes=minutes),
                    channel=channel,
                    ok=ok,
                    status_code=code,
                    error=error,
                    latency_ms=12.5 + minutes,
                )
            )


async def attempts(
    client: httpx.AsyncClient, headers: H, **params: object
) -> list[tuple[str, bool]]:
    r = await client.get("/api/notifications", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return [(a["channel"], a["ok"]) for a in r.json()["items"]]


async def test_history_filters_by_window_channel_result_group_and_user(
    client: httpx.AsyncClient, admin_headers: H, db: Database
) -> None:
    await seed(db)
    assert await attempts(client, admin_headers) == [
        ("webhook", True),
        ("sms", True),
        ("sms", False),
        ("email", True),
    ]
    window = {
        "start": (T0 + timedelta(minutes=5)).isoformat(),
        "end": (T0 + timedelta(minutes=30)).isoformat(),
    }
    assert await attempts(client, admin_headers, **window) == [("sms", True), ("sms", False)]
    assert await attempts(client, admin_headers, start="2026-05-04T12:30:00Z") == [
        ("webhook", True)
    ]
    assert await attempts(client, admin_headers, ok="false") == [("sms", False)]
    assert await attempts(client, admin_headers, group_id=7, channel="email") == [("email", True)]
    assert await attempts(client, admin_headers, user_id=3, **window) == [
        ("sms", True),
        ("sms", False),
    ]
    r = await client.get("/api/notifications", params={"start": "yesterday"}, headers=admin_headers)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")

"""A receiver that hangs (accepts the request, answers only at the sender's timeout) holds
up no other page: the delivery round returns after its patience, the next person is paged
while the stuck request is still open, nobody resends it meanwhile, and its outcome is
recorded once it finishes. Real HTTP receiver on loopback, both databases."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import select

from sentinel.config import Settings
from sentinel.notify import outbox
from sentinel.notify.models import OutboxMessage
from sentinel.oncall.tasks import escalate_and_deliver
from sentinel.storage.engine import Database
from tests.api.test_oncall_api import make_user
from tests.notify_receivers import HttpReceiver, SmtpReceiver
from tests.store.test_oncall_engine import at, contact, fire, notify_settings

H = dict[str, str]


async def statuses(db: Database) -> dict[str, str]:
    async with db.transaction() as session:
        rows = (await session.execute(select(OutboxMessage.address, OutboxMessage.status))).all()
    return {address.rsplit("/", 1)[-1]: status for address, status in rows}


async def test_a_hanging_receiver_holds_up_no_other_page(
    client: httpx.AsyncClient,
    admin_headers: H,
    ingest_headers: H,
    db: Database,
    settings: Settings,
    http: HttpReceiver,
    smtp: SmtpReceiver,
) -> None:
    hank = await make_user(client, admin_headers, "Hank")
    fay = await make_user(client, admin_headers, "Fay")
    await contact(client, admin_headers, hank, "webhook", f"{http.url}/hang/hank", None)
    await contact(client, admin_headers, fay, "webhook", f"{http.url}/hook/fay", None)
    group, due = await fire(
        client,
        admin_headers,
        ingest_headers,
        db,
        [
            {"kind": "notify_users", "targets": [hank]},
            {"kind": "wait", "wait_minutes": 1},
            {"kind": "notify_users", "targets": [fay]},
        ],
    )
    ns, secret = notify_settings(http, smtp, http_timeout_seconds=60), settings.jwt_secret()

    def tick(minutes: float) -> asyncio.Future[int]:
        clock = at(due + timedelta(minutes=minutes))
        return asyncio.ensure_future(escalate_and_deliver(db, ns, secret, clock, patience=1))

    # Hank's receiver holds the request; the round returns anyway (it would otherwise wait
    # for the 60 s timeout).
    await asyncio.wait_for(tick(0), timeout=30)
    assert len(http.on("/hang/hank")) == 1
    assert await statuses(db) == {"hank": "sending"}
    # The wait is over: Fay is paged while Hank's request is still open, and Hank's message
    # is not sent a second time (it is leased).
    await asyncio.wait_for(tick(2), timeout=30)
    assert http.wait_for(lambda: len(http.on("/hook/fay")) == 1, 10)
    await asyncio.wait_for(tick(3), timeout=30)
    assert len(http.on("/hang/hank")) == 1 and not http.release.is_set()
    # Hank's receiver answers at last: the attempt is recorded, the message sent, once.
    http.release.set()
    await asyncio.wait_for(outbox.settle(), timeout=30)
    assert await statuses(db) == {"hank": "sent", "fay": "sent"}
    history = (
        await client.get(f"/api/notifications?group_id={group}", headers=admin_headers)
    ).json()["items"]
    assert sorted((i["address"].rsplit("/", 1)[-1], i["ok"]) for i in history) == [
        ("fay", True),
        ("hank", True),
    ]
    assert len(http.on("/hang/hank")) == 1 and len(http.on("/hook/fay")) == 1

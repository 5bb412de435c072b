"""The escalation engine, run by the worker.

`consume_events` reads alert_events after this consumer's cursor (locked row, so replicas
take turns): a group's `notify` event starts its escalation with the policy's chain frozen
onto it; `acknowledged`/`resolved` stop it. `run_due_steps` picks due escalations with
FOR UPDATE SKIP LOCKED, re-checks the group is still unacknowledged and open, runs exactly
the current step (pages go to the outbox under a unique idempotency key) and moves the
timer to the next step in the same transaction: a restart neither skips nor repeats one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.alerting.models import Alert, AlertEvent
from sentinel.alerting.severity import OPEN_STATUSES
from sentinel.notify import outbox
from sentinel.notify.config import NotifySettings
from sentinel.notify.message import Page
from sentinel.oncall import service
from sentinel.oncall.contacts import check_address
from sentinel.oncall.escalation import (
    Policy,
    PolicyError,
    Step,
    advance,
    freeze,
    page_key,
    recipients,
)
from sentinel.oncall.models import ContactMethod, Escalation, EventCursor, NotificationRule
from sentinel.oncall.pages import build_page, build_pages
from sentinel.storage.dialect import dialect_name, upsert_insert

log = logging.getLogger("sentinel.oncall")
CURSOR = "oncall.escalation"
EVENT_KINDS = ("notify", "acknowledged", "resolved")
HOLE_GRACE = timedelta(seconds=5)


async def _locked_cursor(session: AsyncSession, name: str) -> EventCursor:
    stmt = select(EventCursor).where(EventCursor.name == name)
    if dialect_name(session) == "postgresql":
        stmt = stmt.with_for_update()  # replicas take turns; nobody reads an event twice
    cursor = (await session.scalars(stmt)).one_or_none()
    if cursor is None:  # first run only: idle ticks must not write (SQLite has one writer)
        insert = upsert_insert(session, EventCursor).values(name=name, last_event_id=0)
        await session.execute(insert.on_conflict_do_nothing(index_elements=["name"]))
        cursor = (await session.scalars(stmt)).one()
    return cursor


async def consume_events(
    session: AsyncSession,
    now: datetime,
    batch: int = 1000,
    settings: NotifySettings | None = None,
    secret: str | None = None,
) -> int:
    """Start and stop escalations from the alert event log; returns events read. With a
    secret (to sign the message's links), a route's `channels` ("slack:#ops",
    "email:ops@example.com") are also notified once per `notify` event of an open group."""
    cursor = await _locked_cursor(session, CURSOR)
    events = list(
        (
            await session.scalars(
                select(AlertEvent)
                .where(AlertEvent.id > cursor.last_event_id)
                .order_by(AlertEvent.id)
                .limit(batch)
            )
        ).all()
    )
    events = before_recent_hole(events, cursor.last_event_id, datetime.now(UTC))
    if not events:
        return 0
    policies: dict[int, Policy] | None = None
    notified = {e.group_id for e in events if e.kind == "notify" and e.group_id is not None}
    known: dict[int, Escalation | None] = dict.fromkeys(notified)
    if notified:
        for row in await session.scalars(
            select(Escalation).where(Escalation.group_id.in_(notified))
        ):
            known[row.group_id] = row
    for event in events:
        if event.group_id is None or event.kind not in EVENT_KINDS:
            continue
        if event.kind == "notify":
            if policies is None and event.detail.get("escalation_policy_id"):
                policies = await service.all_policies(session)
            started = await start(session, event.group_id, event.detail, now, policies, known)
            if started is not None:
                known[event.group_id] = started
            if secret is not None and event.detail.get("channels"):
                await notify_channels(session, event, now, settings or NotifySettings(), secret)
        else:
            await stop_if_done(session, event.group_id, now, event.actor or "system")
    cursor.last_event_id, cursor.updated_at = events[-1].id, now
    return len(events)


def before_recent_hole(events: list[AlertEvent], last_id: int, wall: datetime) -> list[AlertEvent]:
    """The events up to the first gap in ids that is younger than HOLE_GRACE.

    On PostgreSQL ids are taken when a row is inserted, not when its transaction commits:
    a slow transaction may commit id 100 after id 101 is visible. A cursor that moved past
    101 would never see 100, so reading stops at a gap until it is HOLE_GRACE old (then the
    id is taken to be lost to a rollback). The first read (cursor 0) has no gap to mind."""
    usable: list[AlertEvent] = []
    expected = last_id + 1
    for event in events:
        first_ever = last_id == 0 and not usable
        if event.id != expected and not first_ever and wall - event.at < HOLE_GRACE:
            break
        usable.append(event)
        expected = event.id + 1
    return usable


async def start(
    session: AsyncSession,
    group_id: int,
    detail: dict[str, Any],
    now: datetime,
    policies: dict[int, Policy] | None = None,
    known: dict[int, Escalation | None] | None = None,
) -> Escalation | None:
    """Freeze the group's policy onto a new escalation, unless one is running already.
    `known` holds the group's escalation when the caller looked it up already."""
    policy_id = detail.get("escalation_policy_id")
    if not policy_id or detail.get("group_status", "open") != "open":
        return None
    if known is not None and group_id in known:
        existing = known[group_id]
    else:
        existing = await session.scalar(select(Escalation).where(Escalation.group_id == group_id))
    if existing is not None:
        if existing.status != "resolved":
            return None  # running, acknowledged or exhausted: a repeat notify does not restart
        await session.delete(existing)  # the group fired again after resolving
        await session.flush()
    try:
        chain = freeze(int(policy_id), policies or await service.all_policies(session))
    except PolicyError as exc:
        log.warning("escalation not started", extra={"group_id": group_id, "error": str(exc)})
        return None
    escalation = Escalation(
        group_id=group_id,
        policy_id=int(policy_id),
        chain=[s.to_json() for s in chain],
        status="active",
        step_index=0,
        next_step_at=now,
        started_at=now,
    )
    session.add(escalation)  # flushed with the round (or by the next query's autoflush)
    return escalation


async def group_state(session: AsyncSession, group_id: int) -> tuple[int, int]:
    """(open alerts, acknowledged open alerts) of a group, read live."""
    row = (
        await session.execute(
            select(
                func.count(),
                func.count(Alert.acknowledged_at),
            ).where(Alert.group_id == group_id, Alert.status.in_([s.value for s in OPEN_STATUSES]))
        )
    ).one()
    return int(row[0]), int(row[1])


async def stop_if_done(session: AsyncSession, group_id: int, now: datetime, who: str) -> str | None:
    """Stop the group's escalation if it is acknowledged or has no open alerts; returns
    the reason it stopped, if it did."""
    open_count, acked = await group_state(session, group_id)
    reason = "resolved" if open_count == 0 else "acknowledged" if acked else None
    if reason is None:
        return None
    result = await session.execute(
        update(Escalation)
        .where(Escalation.group_id == group_id, Escalation.status == "active")
        .values(
            status=reason, stopped_at=now, stopped_by=who, stop_reason=reason, next_step_at=None
        )
    )
    await outbox.cancel_for_group(session, group_id, only_delayed=reason == "acknowledged")
    if reason == "resolved":
        await session.execute(
            update(Escalation)
            .where(
                Escalation.group_id == group_id,
                Escalation.status.in_(["acknowledged", "exhausted"]),
            )
            .values(status="resolved", stop_reason="resolved", next_step_at=None)
        )
    return reason if getattr(result, "rowcount", 0) else None


async def run_due_steps(
    session: AsyncSession, now: datetime, settings: NotifySettings, secret: str, limit: int = 200
) -> int:
    """Run the current step of every due escalation (one step each); returns steps run."""
    stmt = (
        select(Escalation)
        .where(Escalation.status == "active", Escalation.next_step_at <= now)
        .order_by(Escalation.next_step_at)
        .limit(limit)
    )
    if dialect_name(session) == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    due = list((await session.scalars(stmt)).all())
    if not due:
        return 0
    states = await group_states(session, [e.group_id for e in due])
    batch = StepBatch(
        pages=await build_pages(session, [e.group_id for e in due], now, settings, secret)
    )
    ran = 0
    for escalation in due:
        open_count, acked = states.get(escalation.group_id, (0, 0))
        if (open_count == 0 or acked) and await stop_if_done(
            session, escalation.group_id, now, "system"
        ):
            continue
        await run_step(session, escalation, now, settings, secret, batch)
        ran += 1
    await outbox.enqueue(session, batch.rows)
    return ran


@dataclass
class StepBatch:
    """Lookups shared by the steps of one round, and the outbox rows they queue (inserted
    together at the end of the round, in the same transaction as the timer moves)."""

    pages: dict[int, Page] = field(default_factory=dict)
    contacts: dict[int, list[tuple[float, ContactMethod]]] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)


async def group_states(session: AsyncSession, group_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(open alerts, acknowledged open alerts) for many groups in one query."""
    if not group_ids:
        return {}
    rows = await session.execute(
        select(Alert.group_id, func.count(), func.count(Alert.acknowledged_at))
        .where(
            Alert.group_id.in_(set(group_ids)),
            Alert.status.in_([s.value for s in OPEN_STATUSES]),
        )
        .group_by(Alert.group_id)
    )
    return {int(g): (int(n), int(a)) for g, n, a in rows.all() if g is not None}


async def run_step(
    session: AsyncSession,
    escalation: Escalation,
    now: datetime,
    settings: NotifySettings,
    secret: str,
    batch: StepBatch | None = None,
) -> None:
    """Run the escalation's current step and move its timer on (one transaction)."""
    chain = [Step.from_json(s) for s in escalation.chain]
    index = escalation.step_index
    if index >= len(chain):  # the trailing wait is over: nobody answered
        escalation.status, escalation.next_step_at = "exhausted", None
        escalation.stopped_at, escalation.stop_reason = now, "exhausted"
        return
    step = chain[index]
    users = await _resolve(session, step, now)
    if users:
        page = (batch.pages.get(escalation.group_id) if batch else None) or await build_page(
            session, escalation.group_id, now, settings, secret
        )
        for user_id in users:
            await page_user(session, escalation, index, user_id, page, now, settings, batch)
    nxt = advance(chain, index, now)
    escalation.steps_run += 1
    if nxt.next_index is None and nxt.due_at is None:
        escalation.status, escalation.next_step_at = "exhausted", None
        escalation.stopped_at, escalation.stop_reason = now, "exhausted"
    elif nxt.next_index is None:
        escalation.step_index, escalation.next_step_at = len(chain), nxt.due_at
    else:
        escalation.step_index, escalation.next_step_at = nxt.next_index, nxt.due_at


async def _resolve(session: AsyncSession, step: Step, now: datetime) -> list[int]:
    on_call = (
        await service.on_call_users(session, step.targets[0], now)
        if (step.kind == "notify_schedule")
        else []
    )
    team = (
        await service.team_members(session, step.targets[0]) if (step.kind == "notify_team") else []
    )
    return recipients(step, lambda _schedule: on_call, lambda _team: team)


async def page_user(
    session: AsyncSession,
    escalation: Escalation,
    step_index: int,
    user_id: int,
    page: Page,
    now: datetime,
    settings: NotifySettings,
    batch: StepBatch | None = None,
) -> int:
    """Queue one page to a person: one outbox row per notification rule (or, without
    rules, per contact method at once), keyed so the step pages them exactly once. With a
    batch the rows are collected for one insert at the end of the round."""
    contacts = batch.contacts if batch else {}
    if user_id not in contacts:
        contacts[user_id] = await _targets(session, user_id)
    targets = contacts[user_id]
    key = page_key(escalation.group_id, escalation.id, step_index, user_id)
    rows = [
        {
            "idempotency_key": f"{key}:{method.id}:{delay:g}",
            "group_id": escalation.group_id,
            "escalation_id": escalation.id,
            "step_index": step_index,
            "user_id": user_id,
            "contact_method_id": method.id,
            "channel": method.kind,
            "address": method.address,
            "payload": page.to_json(),
            "status": "pending",
            "attempts": 0,
            "max_attempts": settings.max_attempts,
            "cancel_on_ack": delay > 0,
            "next_attempt_at": now + timedelta(minutes=delay),
            "due_at": now + timedelta(minutes=delay),
            "created_at": now,
        }
        for delay, method in targets
    ]
    if not rows:
        log.warning("paged user has no contact methods", extra={"user_id": user_id})
    if batch is not None:
        batch.rows.extend(rows)
        return len(rows)
    return await outbox.enqueue(session, rows)


async def _targets(session: AsyncSession, user_id: int) -> list[tuple[float, ContactMethod]]:
    """(delay minutes, contact method) by the user's rules, else every method at once."""
    rules = (
        await session.execute(
            select(NotificationRule.delay_minutes, ContactMethod)
            .join(ContactMethod, ContactMethod.id == NotificationRule.contact_method_id)
            .where(NotificationRule.user_id == user_id)
        )
    ).all()
    targets: list[tuple[float, ContactMethod]] = [(float(d), m) for d, m in rules]
    if not targets:
        methods = await session.scalars(
            select(ContactMethod).where(ContactMethod.user_id == user_id)
        )
        targets = [(0.0, m) for m in methods]
    return targets


async def notify_channels(
    session: AsyncSession, event: AlertEvent, now: datetime, settings: NotifySettings, secret: str
) -> int:
    """Queue the group's message to each `kind:address` channel of its route, keyed by the
    notify event so each channel hears about each notification exactly once."""
    if event.group_id is None or event.detail.get("group_status", "open") != "open":
        return 0
    rows = []
    page: Page | None = None
    for channel in event.detail.get("channels") or []:
        kind, _, address = str(channel).partition(":")
        if check_address(kind, address) is not None:
            log.warning("route channel skipped", extra={"channel": channel})
            continue
        page = page or await build_page(session, event.group_id, now, settings, secret)
        rows.append(
            {
                "idempotency_key": f"channel:{event.group_id}:{event.id}:{channel}"[:200],
                "group_id": event.group_id,
                "channel": kind,
                "address": address,
                "payload": page.to_json(),
                "status": "pending",
                "attempts": 0,
                "max_attempts": settings.max_attempts,
                "cancel_on_ack": False,
                "next_attempt_at": now,
                "due_at": now,
                "created_at": now,
            }
        )
    return await outbox.enqueue(session, rows)

"""The escalation engine, run by the worker.

`start` freezes a group's policy onto an escalation (called by the event consumer in
oncall.consumer); `run_due_steps` picks due escalations with FOR UPDATE SKIP LOCKED,
re-checks the group is still unacknowledged and open, runs exactly the current step (pages
go to the outbox under a unique idempotency key) and moves the timer to the next step in
the same transaction: a restart neither skips nor repeats one. `stop_if_done` ends an
escalation at acknowledge or resolve.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.alerting.models import Alert, AlertGroupMember
from sentinel.alerting.severity import OPEN_STATUSES
from sentinel.notify import outbox
from sentinel.notify.config import NotifySettings
from sentinel.notify.message import Page
from sentinel.oncall import service
from sentinel.oncall.escalation import (
    Policy,
    PolicyError,
    Step,
    advance,
    freeze,
    page_key,
    recipients,
)
from sentinel.oncall.models import ContactMethod, Escalation, NotificationRule
from sentinel.oncall.pages import build_page, build_pages
from sentinel.storage.dialect import dialect_name

log = logging.getLogger("sentinel.oncall")


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
    return (await group_states(session, [group_id])).get(group_id, (0, 0))


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
    # Members, not alerts.group_id: an alert is in the group of every route it took.
    member = AlertGroupMember
    rows = await session.execute(
        select(member.group_id, func.count(), func.count(Alert.acknowledged_at))
        .join(Alert, Alert.id == member.alert_id)
        .where(
            member.group_id.in_(set(group_ids)),
            Alert.status.in_([s.value for s in OPEN_STATUSES]),
        )
        .group_by(member.group_id)
    )
    return {int(g): (int(n), int(a)) for g, n, a in rows.all()}


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
    key = page_key(escalation.group_id, escalation.id, escalation.started_at, step_index, user_id)
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

"""Runbooks on incidents: which apply, and running their automated HTTP steps.

A step is rendered from the incident and its alerts (a missing field fails before any
call), then either recorded as a dry run, parked for a responder's approval, or called
with its timeout. Every outcome is a RunbookRun row and a timeline entry. Secret header
values are decrypted only to make the call; what is stored and shown says '***'.
"""

from __future__ import annotations

import time
import weakref
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.api.errors import Conflict, NotFound
from sentinel.incidents import store, templating, timeline
from sentinel.incidents.config import RunbookSettings
from sentinel.incidents.hostguard import AllowList, HostDenied
from sentinel.incidents.insights import alert_rows
from sentinel.incidents.models import Incident, Runbook, RunbookRun
from sentinel.incidents.runbook_calls import (
    CallResult,
    RenderedCall,
    guard,
    perform,
    render_call,
    shown,
)

# Runs being approved in this process, per database: on SQLite (one process) this stops
# two approvers from making the call twice; on PostgreSQL the run row is locked instead.
_approving: weakref.WeakKeyDictionary[Any, set[int]] = weakref.WeakKeyDictionary()


async def context_of(session: AsyncSession, incident: Incident) -> dict[str, Any]:
    """What templates may reference: `incident`, `alerts` and `alert` (the first one)."""
    alerts = [
        {
            "id": a["alert_id"],
            "alert_name": a["alert_name"],
            "severity": a["severity"],
            "service": a["service"],
            "title": a["title"],
            "status": a["status"],
            "labels": dict(a["labels"]),
            "fired_at": a["fired_at"].isoformat(),
        }
        for a in await alert_rows(session, incident)
    ]
    return {
        "incident": {
            "id": incident.id,
            "title": incident.title,
            "status": incident.status,
            "severity": incident.severity,
            "priority": incident.priority or "",
            "services": list(incident.affected_services),
            "service": incident.affected_services[0] if incident.affected_services else "",
            "commander": incident.commander or "",
            "started_at": incident.started_at.isoformat(),
        },
        "alerts": alerts,
        "alert": alerts[0] if alerts else {},
    }


async def runbooks_for(session: AsyncSession, incident: Incident) -> list[Runbook]:
    """Runbooks attached to the incident's services or to its alerts' names."""
    links = (await store.linked_alerts(session, [incident.id])).get(incident.id, [])
    names = {a["alert_name"] for a in await alert_rows(session, incident)} if links else set()
    services = set(incident.affected_services)
    rows = (await session.scalars(select(Runbook).order_by(Runbook.id))).all()
    return [r for r in rows if services & set(r.services) or names & set(r.alert_names)]


def _step(runbook: Runbook, name: str) -> dict[str, Any]:
    for step in runbook.steps:
        if step["name"] == name:
            return step
    raise NotFound(f"Runbook {runbook.name!r} has no step {name!r}.")


async def _answered(call: RenderedCall, now: datetime) -> tuple[CallResult, datetime]:
    """The call's outcome and when it came: the outcome is written after the answer, so
    its timeline entry is dated then, keeping the timeline's times in its order."""
    started = time.monotonic()
    result = await perform(call)
    return result, now + timedelta(seconds=time.monotonic() - started)


async def _finish(
    session: AsyncSession,
    incident: Incident,
    runbook: Runbook,
    run: RunbookRun,
    result: CallResult,
    author: str,
    now: datetime,
) -> None:
    status, http_status, excerpt, note = result
    run.status = status
    run.response_status = http_status
    run.response_excerpt = excerpt
    run.error = "" if status == "succeeded" else note
    run.finished_at = now
    outcome = {
        "succeeded": f"succeeded: HTTP {http_status} in {note}",
        "failed": f"failed: {note}",
        "timed_out": f"timed out: {note}",
    }[status]
    await timeline.add_entry(
        session,
        incident,
        "runbook",
        author,
        f"Runbook {runbook.name!r} step {run.step!r} {outcome}",
        now,
        run_id=run.id,
        status=status,
        response_status=http_status,
    )


async def _blocked(
    session: AsyncSession,
    incident: Incident,
    runbook: Runbook,
    run: RunbookRun,
    exc: HostDenied,
    author: str,
    now: datetime,
) -> None:
    run.status, run.error, run.finished_at = "blocked", f"Host not allowed: {exc}", now
    if run.id is None:
        session.add(run)
        await session.flush()
    await timeline.add_entry(
        session,
        incident,
        "runbook",
        author,
        f"Runbook {runbook.name!r} step {run.step!r} blocked: {exc}",
        now,
        run_id=run.id,
        status="blocked",
        url=run.request.get("url"),
    )


async def start_run(
    session: AsyncSession,
    incident: Incident,
    runbook: Runbook,
    step_name: str,
    dry_run: bool,
    author: str,
    server_secret: str,
    now: datetime,
    allow: AllowList | None = None,
) -> RunbookRun:
    """Run (or dry-run, or park for approval) one step; always leaves a run and an entry.
    A host the allow-list refuses leaves a `blocked` run (dry runs are checked too).

    Nothing is written before the HTTP call: on SQLite a write would hold the database's
    one write lock for as long as the remote end takes to answer."""
    step = _step(runbook, step_name)
    with session.sync_session.no_autoflush:
        context = await context_of(session, incident)
    run = RunbookRun(
        incident_id=incident.id,
        runbook_id=runbook.id,
        step=step_name,
        status="running",
        dry_run=dry_run,
        requested_by=author,
        request={},
        created_at=now,
    )
    try:
        call = render_call(step, context, server_secret)
    except (templating.TemplateError, ValueError) as exc:
        run.status, run.error, run.finished_at = "failed", str(exc), now
        session.add(run)
        await session.flush()
        await timeline.add_entry(
            session,
            incident,
            "runbook",
            author,
            f"Runbook {runbook.name!r} step {step_name!r} cannot run: {exc}",
            now,
            run_id=run.id,
            status="failed",
        )
        return run
    run.request = shown(call)
    try:
        await guard(call, allow or RunbookSettings().allow_list())
    except HostDenied as exc:
        await _blocked(session, incident, runbook, run, exc, author, now)
        return run
    if dry_run or step.get("requires_approval"):
        session.add(run)
        await session.flush()
    if dry_run:
        run.status, run.finished_at = "dry_run", now
        await timeline.add_entry(
            session,
            incident,
            "runbook",
            author,
            f"Runbook {runbook.name!r} step {step_name!r} dry run: {call.method} {call.url}",
            now,
            run_id=run.id,
            status="dry_run",
            request=run.request,
        )
        return run
    if step.get("requires_approval"):
        run.status = "pending_approval"
        await timeline.add_entry(
            session,
            incident,
            "runbook",
            author,
            f"Runbook {runbook.name!r} step {step_name!r} awaits approval: "
            f"{call.method} {call.url}",
            now,
            run_id=run.id,
            status="pending_approval",
        )
        return run
    result, answered = await _answered(call, now)
    session.add(run)
    await session.flush()
    await _finish(session, incident, runbook, run, result, author, answered)
    return run


async def decide(
    session: AsyncSession,
    incident: Incident,
    run: RunbookRun,
    approve: bool,
    author: str,
    server_secret: str,
    now: datetime,
    allow: AllowList | None = None,
) -> RunbookRun:
    """Approve (and run, rendered afresh and checked against the allow-list again) or
    reject a step awaiting approval."""
    if run.status != "pending_approval":
        raise Conflict(f"Run {run.id} is {run.status}, not awaiting approval.")
    runbook = await session.get(Runbook, run.runbook_id)
    if runbook is None:
        raise NotFound(f"The runbook of run {run.id} was deleted.")
    if not approve:
        run.approved_by = author
        run.status, run.finished_at = "rejected", now
        await timeline.add_entry(
            session,
            incident,
            "runbook",
            author,
            f"Runbook {runbook.name!r} step {run.step!r} rejected",
            now,
            run_id=run.id,
            status="rejected",
        )
        return run
    with session.sync_session.no_autoflush:
        context = await context_of(session, incident)
    try:
        call = render_call(_step(runbook, run.step), context, server_secret)
    except (templating.TemplateError, ValueError) as exc:
        run.approved_by = author
        run.status, run.error, run.finished_at = "failed", str(exc), now
        await timeline.add_entry(
            session,
            incident,
            "runbook",
            author,
            f"Runbook {runbook.name!r} step {run.step!r} approved but cannot run: {exc}",
            now,
            run_id=run.id,
            status="failed",
        )
        return run
    run.request = shown(call)
    try:
        await guard(call, allow or RunbookSettings().allow_list())
    except HostDenied as exc:
        run.approved_by = author
        await _blocked(session, incident, runbook, run, exc, author, now)
        return run
    approving = _approving.setdefault(session.get_bind(), set())
    if run.id in approving:
        raise Conflict(f"Run {run.id} is being approved by someone else right now.")
    approving.add(run.id)
    try:
        result, answered = await _answered(call, now)  # still nothing written (start_run)
    finally:
        approving.discard(run.id)
    run.approved_by = author
    await timeline.add_entry(
        session,
        incident,
        "runbook",
        author,
        f"Runbook {runbook.name!r} step {run.step!r} approved",
        now,
        run_id=run.id,
        status="approved",
    )
    await _finish(session, incident, runbook, run, result, author, answered)
    return run


AUTO_AUTHOR = "sentinel (auto)"


async def auto_steps(session: AsyncSession, incident: Incident) -> list[tuple[int, str]]:
    """(runbook id, step) of the auto-run steps for this incident not yet run for it."""
    done = {
        (r.runbook_id, r.step)
        for r in (
            await session.scalars(
                select(RunbookRun).where(
                    RunbookRun.incident_id == incident.id, RunbookRun.requested_by == AUTO_AUTHOR
                )
            )
        ).all()
    }
    return [
        (book.id, step["name"])
        for book in await runbooks_for(session, incident)
        for step in book.steps
        if step.get("auto_run") and (book.id, step["name"]) not in done
    ]

"""The brief's incident endpoints plus list/get/update, action items and suggestions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from sentinel.api.deps import Admin, Reader, Responder, SessionDep, get_database
from sentinel.api.errors import BadRequest
from sentinel.api.pagination import Page, PageParams, paginate
from sentinel.auth import audit
from sentinel.incidents import (
    action_items,
    insights,
    list_filters,
    operations,
    postmortem,
    responses,
    schemas,
    service,
    store,
    stream,
    suggest,
)
from sentinel.incidents import timeline as timeline_entries
from sentinel.incidents.config import IncidentSettings
from sentinel.incidents.lifecycle import OPEN_STATUSES, IncidentStatus
from sentinel.incidents.models import Incident, TimelineEntry
from sentinel.incidents.schemas import SeverityName
from sentinel.storage.engine import Database
from sentinel.timeutil import UtcDatetime

router = APIRouter(prefix="/api/incidents", tags=["incidents"])
DatabaseDep = Annotated[Database, Depends(get_database)]


def now() -> datetime:
    return datetime.now(UTC)


def _heartbeat() -> float:
    return IncidentSettings().sse_heartbeat_seconds


@router.post("", response_model=schemas.IncidentOut, status_code=201)
async def create_incident(
    body: schemas.IncidentCreate, principal: Responder, session: SessionDep
) -> schemas.IncidentOut:
    """Open an incident by hand (status triggered), optionally linking alerts."""
    incident = await service.create_incident(session, body, principal.name, now())
    audit.record(session, principal, "incident.create", "incident", incident.id)
    return await responses.incident_out(session, incident)


@router.get("", response_model=Page[schemas.IncidentOut])
async def list_incidents(
    _: Reader,
    session: SessionDep,
    page: PageParams,
    status: Annotated[
        list[IncidentStatus] | None, Query(description="Any of these (repeat the parameter).")
    ] = None,
    severity: SeverityName | None = None,
    service: Annotated[str | None, Query(max_length=200, description="Affected service.")] = None,
    team_id: int | None = None,
) -> Page[schemas.IncidentOut]:
    """All incidents, newest first."""
    stmt = list_filters.filtered(
        session,
        select(Incident),
        statuses=status or (),
        severity=severity,
        service=service,
        team_id=team_id,
    )
    rows, cursor = await paginate(session, stmt, page, [Incident.id])
    return Page(items=await responses.incidents_out(session, rows), next_cursor=cursor)


@router.get("/active", response_model=Page[schemas.IncidentOut])
async def active_incidents(
    _: Reader,
    session: SessionDep,
    page: PageParams,
    severity: SeverityName | None = None,
    service: Annotated[str | None, Query(max_length=200, description="Affected service.")] = None,
    team_id: int | None = None,
) -> Page[schemas.IncidentOut]:
    """Incidents not yet resolved, newest first."""
    stmt = list_filters.filtered(
        session,
        select(Incident),
        statuses=sorted(OPEN_STATUSES),
        severity=severity,
        service=service,
        team_id=team_id,
    )
    rows, cursor = await paginate(session, stmt, page, [Incident.id])
    return Page(items=await responses.incidents_out(session, rows), next_cursor=cursor)


@router.get("/statistics", response_model=schemas.IncidentStatistics)
async def incident_statistics(
    _: Reader,
    session: SessionDep,
    days: Annotated[int, Query(ge=1, le=3650)] = 30,
    start: UtcDatetime | None = None,
    end: UtcDatetime | None = None,
    period: Literal["day", "week", "month"] = "day",
) -> schemas.IncidentStatistics:
    """MTTA and MTTR (mean, median, p90 in seconds) and counts by severity, status,
    service and period, for incidents started in the range (default: the last `days`)."""
    end = end or now()
    start = start or end - timedelta(days=days)
    if start >= end:
        raise BadRequest("The time range is empty: start must be before end.")
    return await insights.statistics(session, start, end, period)


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream_all(_: Reader, request: Request, db: DatabaseDep) -> StreamingResponse:
    """Server-sent events: every timeline entry of every incident, live (all replicas).
    Send `Last-Event-ID` to replay what was missed. A comment line (`: keep-alive`) comes
    whenever nothing else was sent for 10 s (SENTINEL_INCIDENT_SSE_HEARTBEAT_SECONDS)."""
    return stream.event_stream(request, db, None, _heartbeat())


@router.get(
    "/{incident_id}/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream_incident(
    incident_id: int, _: Reader, request: Request, session: SessionDep, db: DatabaseDep
) -> StreamingResponse:
    """Server-sent events: this incident's timeline entries, live (the war room feed)."""
    await service.get_incident(session, incident_id)
    return stream.event_stream(request, db, incident_id, _heartbeat())


@router.get("/{incident_id}", response_model=schemas.IncidentOut)
async def get_incident(incident_id: int, _: Reader, session: SessionDep) -> schemas.IncidentOut:
    return await responses.incident_out(session, await service.get_incident(session, incident_id))


@router.delete("/{incident_id}", status_code=204)
async def delete_incident(incident_id: int, principal: Admin, session: SessionDep) -> Response:
    """Delete an incident and everything on it (admins only; in the audit log)."""
    incident = await service.get_incident(session, incident_id, lock=True)
    detail = {"title": incident.title, "status": incident.status, "severity": incident.severity}
    await operations.delete_incident(session, incident)
    audit.record(session, principal, "incident.delete", "incident", incident_id, detail)
    return Response(status_code=204)


@router.post("/{incident_id}/merge", response_model=schemas.IncidentOut)
async def merge_incident(
    incident_id: int, body: schemas.MergeIn, principal: Responder, session: SessionDep
) -> schemas.IncidentOut:
    """Merge incident `source_id` into this one: its alerts, timeline entries and
    participants move here, and it is closed with a "merged into" entry."""
    target, source = await operations.lock_pair(session, incident_id, body.source_id)
    moved = await operations.merge(session, target, source, principal.name, now())
    audit.record(
        session,
        principal,
        "incident.merge",
        "incident",
        incident_id,
        {"source_id": body.source_id, **moved},
    )
    return await responses.incident_out(session, target)


@router.patch("/{incident_id}", response_model=schemas.IncidentOut)
async def update_incident(
    incident_id: int, body: schemas.IncidentUpdate, principal: Responder, session: SessionDep
) -> schemas.IncidentOut:
    """Change title, description, severity, priority, affected services or chat link."""
    incident = await service.get_incident(session, incident_id, lock=True)
    await service.update_incident(session, incident, body, principal.name, now())
    audit.record(
        session,
        principal,
        "incident.update",
        "incident",
        incident_id,
        body.model_dump(exclude_unset=True, exclude={"description"}),
    )
    return await responses.incident_out(session, incident)


@router.post("/{incident_id}/status", response_model=schemas.IncidentOut)
async def change_status(
    incident_id: int, body: schemas.StatusChange, principal: Responder, session: SessionDep
) -> schemas.IncidentOut:
    """Move the incident along triggered → acknowledged → investigating → identified →
    monitoring → resolved → closed. An illegal move is a 409 listing the allowed ones."""
    incident = await service.get_incident(session, incident_id, lock=True)
    await service.change_status(session, incident, body.status, principal.name, now(), body.message)
    audit.record(
        session, principal, "incident.status", "incident", incident_id, {"to": body.status.value}
    )
    return await responses.incident_out(session, incident)


@router.post("/{incident_id}/updates", response_model=schemas.TimelineEntryOut, status_code=201)
async def post_update(
    incident_id: int, body: schemas.UpdateIn, principal: Responder, session: SessionDep
) -> schemas.TimelineEntryOut:
    """A war-room update or note on the timeline (pushed live to subscribers)."""
    incident = await service.get_incident(session, incident_id, lock=True)
    entry = await service.post_update(session, incident, body, principal.name, now())
    audit.record(session, principal, f"incident.{body.kind}", "incident", incident_id)
    return timeline_entries.entry_out(entry)


@router.post("/{incident_id}/assign", response_model=schemas.IncidentOut)
async def assign(
    incident_id: int, body: schemas.AssignIn, principal: Responder, session: SessionDep
) -> schemas.IncidentOut:
    """Give someone a role (commander, communications, scribe, responder) or remove it."""
    incident = await service.get_incident(session, incident_id, lock=True)
    await service.assign(session, incident, body, principal.name, now())
    audit.record(session, principal, "incident.assign", "incident", incident_id, body.model_dump())
    return await responses.incident_out(session, incident)


@router.post("/{incident_id}/root-cause", response_model=schemas.IncidentOut)
async def record_root_cause(
    incident_id: int, body: schemas.RootCauseIn, principal: Responder, session: SessionDep
) -> schemas.IncidentOut:
    incident = await service.get_incident(session, incident_id, lock=True)
    await service.record_root_cause(session, incident, body, principal.name, now())
    audit.record(session, principal, "incident.root_cause", "incident", incident_id)
    return await responses.incident_out(session, incident)


@router.get("/{incident_id}/root-cause/suggestions", response_model=schemas.Suggestions)
async def root_cause_suggestions(
    incident_id: int, _: Reader, session: SessionDep
) -> schemas.Suggestions:
    """Suspects from telemetry in the incident window (from 15 min before it started):
    services whose error rate or latency moved first, walked down the dependency graph to
    the deepest failing callee; new or spiking log patterns; the linked alerts. Each with
    its evidence and a score in [0, 1], best first."""
    incident = await service.get_incident(session, incident_id)
    window, ranked = await suggest.suggest(session, incident)
    return schemas.Suggestions(
        incident_id=incident_id,
        window_start=window.start,
        window_end=window.end,
        baseline_start=window.baseline_start,
        suggestions=[schemas.SuggestionOut(**s.__dict__) for s in ranked],
    )


@router.get("/{incident_id}/timeline", response_model=Page[schemas.TimelineEntryOut])
async def timeline(
    incident_id: int, _: Reader, session: SessionDep, page: PageParams
) -> Page[schemas.TimelineEntryOut]:
    """Everything that happened, oldest first, with its author."""
    await service.get_incident(session, incident_id)
    stmt = select(TimelineEntry).where(TimelineEntry.incident_id == incident_id)
    rows, cursor = await paginate(session, stmt, page, [TimelineEntry.id], descending=False)
    return Page(items=[timeline_entries.entry_out(e) for e in rows], next_cursor=cursor)


@router.get(
    "/{incident_id}/post-mortem",
    responses={200: {"content": {"application/json": {}, "text/markdown": {}}}},
)
async def post_mortem(
    incident_id: int,
    _: Reader,
    session: SessionDep,
    format: Literal["json", "markdown"] = "json",
) -> Any:
    """The post-mortem draft: summary, impact (services, duration), timeline, MTTA/MTTR,
    alerts, root cause and suggestions with evidence, action items. `format=markdown`
    returns the Markdown text; the JSON carries it too, as `markdown`."""
    incident = await service.get_incident(session, incident_id)
    _window, ranked = await suggest.suggest(session, incident)
    suggestions = [
        {"kind": s.kind, "subject": s.subject, "score": s.score, "summary": s.summary}
        | {"service": s.service, "evidence": s.evidence}
        for s in ranked[:10]
    ]
    doc = await insights.post_mortem(session, incident, suggestions)
    markdown = postmortem.to_markdown(doc)
    if format == "markdown":
        return Response(markdown, media_type="text/markdown; charset=utf-8")
    return {**doc, "markdown": markdown}


@router.get("/{incident_id}/action-items", response_model=list[schemas.ActionItemOut])
async def list_action_items(
    incident_id: int, _: Reader, session: SessionDep
) -> list[schemas.ActionItemOut]:
    await service.get_incident(session, incident_id)
    return [responses.action_item_out(a) for a in await store.action_items(session, incident_id)]


@router.post("/{incident_id}/action-items", response_model=schemas.ActionItemOut, status_code=201)
async def add_action_item(
    incident_id: int, body: schemas.ActionItemIn, principal: Responder, session: SessionDep
) -> schemas.ActionItemOut:
    incident = await service.get_incident(session, incident_id, lock=True)
    item = await action_items.add_action_item(session, incident, body, principal.name, now())
    audit.record(session, principal, "incident.action_item.create", "incident", incident_id)
    return responses.action_item_out(item)


@router.patch("/{incident_id}/action-items/{item_id}", response_model=schemas.ActionItemOut)
async def update_action_item(
    incident_id: int,
    item_id: int,
    body: schemas.ActionItemUpdate,
    principal: Responder,
    session: SessionDep,
) -> schemas.ActionItemOut:
    """Track an action item: owner, due date, status (open, in_progress, done)."""
    incident = await service.get_incident(session, incident_id, lock=True)
    item = await action_items.update_action_item(
        session, incident, item_id, body, principal.name, now()
    )
    audit.record(
        session,
        principal,
        "incident.action_item.update",
        "incident",
        incident_id,
        {"item": item_id, **body.model_dump(exclude_unset=True, mode="json")},
    )
    return responses.action_item_out(item)

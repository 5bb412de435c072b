"""The brief's alert API plus list/get, events, occurrences and groups. Thin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from sentinel.alerting import insights, lifecycle, store
from sentinel.alerting.gate import ingest_batch
from sentinel.alerting.insight_schemas import AlertStatisticsOut, FatigueReportOut
from sentinel.alerting.models import Alert, AlertEvent, AlertGroup, AlertOccurrence
from sentinel.alerting.pipeline import IncomingAlert, Transition
from sentinel.alerting.schemas import (
    AlertCreate,
    AlertCreated,
    AlertEventOut,
    AlertGroupOut,
    AlertOut,
    GroupedAlertsOut,
    OccurrenceOut,
    PagingGroupOut,
    SilenceAlertRequest,
)
from sentinel.alerting.severity import OPEN_STATUSES, RANK, AlertStatus, Severity
from sentinel.api.deps import Ingester, Reader, Responder, SessionDep
from sentinel.api.errors import NotFound
from sentinel.api.pagination import Page, PageParams, paginate
from sentinel.storage.commit_order import Followed, visible_high_water

router = APIRouter(prefix="/api/alerts", tags=["alerting"])
Days = Annotated[int, Query(ge=1, le=365, description="Window in days.")]

_ACTION = {
    Transition.NEW: "created",
    Transition.REFRESH: "updated",
    Transition.REOPEN: "reopened",
    Transition.RESOLVE: "resolved",
    Transition.IGNORE: "ignored",
    Transition.ACKNOWLEDGE: "acknowledged",
}


def now() -> datetime:
    return datetime.now(UTC)


@router.post("", response_model=AlertCreated, status_code=201)
async def create_alert(
    body: AlertCreate,
    principal: Ingester,
    session: SessionDep,
    request: Request,
    response: Response,
) -> AlertCreated:
    """Raise an alert (the brief's body). A repeat of an open alert with the same labels
    updates it (count, last seen, current value) and answers 200 instead of 201."""
    labels = {**body.labels, "alertname": body.alert_name, "service": body.service_name}
    incoming = IncomingAlert(
        labels=labels,
        source="api",
        severity=body.severity,
        annotations=body.annotations,
        alert_name=body.alert_name,
        service=body.service_name,
        title=body.title,
        description=body.description,
        alert_type=body.alert_type,
        current_value=body.current_value,
        threshold_value=body.threshold_value,
    )
    result = await ingest_batch(request, [incoming], principal.name)
    transition = result.transitions[incoming.fingerprint]
    if transition is not Transition.NEW:
        response.status_code = 200
    alert = await lifecycle.get_alert(session, result.ids[incoming.fingerprint])
    await session.refresh(alert)
    return AlertCreated(**AlertOut.model_validate(alert).model_dump(), action=_ACTION[transition])


@router.get("", response_model=Page[AlertOut])
async def list_alerts(
    _: Reader,
    session: SessionDep,
    page: PageParams,
    status: AlertStatus | None = None,
    severity: Severity | None = None,
    service: str | None = None,
    alert_name: str | None = None,
    source: str | None = None,
) -> Page[AlertOut]:
    """All alerts, newest first, filtered by status, severity, service, name or source."""
    stmt = select(Alert)
    for column, value in (
        (Alert.status, status),
        (Alert.severity, severity),
        (Alert.service, service),
        (Alert.alert_name, alert_name),
        (Alert.source, source),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    rows, cursor = await paginate(session, stmt, page, [Alert.id])
    return Page(items=[AlertOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/active", response_model=Page[AlertOut])
async def active_alerts(
    _: Reader,
    session: SessionDep,
    page: PageParams,
    severity: Severity | None = None,
    service: str | None = None,
) -> Page[AlertOut]:
    """Open alerts (firing, acknowledged or silenced), newest first."""
    stmt = select(Alert).where(Alert.status.in_(OPEN_STATUSES))
    if severity is not None:
        stmt = stmt.where(Alert.severity == severity)
    if service is not None:
        stmt = stmt.where(Alert.service == service)
    rows, cursor = await paginate(session, stmt, page, [Alert.id])
    return Page(items=[AlertOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/statistics", response_model=AlertStatisticsOut)
async def alert_statistics(_: Reader, session: SessionDep, days: Days = 7) -> dict[str, object]:
    """Counts by severity, service and state; MTTA and MTTR (mean, median, p90) in
    seconds; the noisiest alerts; a daily trend."""
    return await insights.statistics(session, now(), days)


@router.get("/fatigue", response_model=FatigueReportOut)
async def alert_fatigue(_: Reader, session: SessionDep, days: Days = 7) -> dict[str, object]:
    """Flapping alerts and a 0–100 fatigue score per rule, service and team, with
    recommendations and the numbers behind them."""
    return await insights.fatigue_report(session, now(), days)


@router.get("/events", response_model=list[AlertEventOut])
async def alert_events(
    _: Reader,
    session: SessionDep,
    after_id: Annotated[int, Query(ge=0, description="Return events after this id.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AlertEventOut]:
    """Lifecycle events in order (fired, grouped, routed, acknowledged, silenced,
    unsilenced, resolved): pass the last id back as after_id to follow the stream.
    Only events below which every insert has committed are returned, so a follower never
    passes one that commits late (storage/commit_order.py)."""
    through = await visible_high_water(session, Followed.ALERT_EVENTS, wait_seconds=0.5)
    rows = await session.scalars(
        select(AlertEvent)
        .where(AlertEvent.id > after_id, AlertEvent.id <= through)
        .order_by(AlertEvent.id)
        .limit(limit)
    )
    return [AlertEventOut.model_validate(r) for r in rows]


@router.get("/groups", response_model=Page[AlertGroupOut])
async def list_groups(
    _: Reader, session: SessionDep, page: PageParams, status: str | None = None
) -> Page[AlertGroupOut]:
    stmt = select(AlertGroup)
    if status is not None:
        stmt = stmt.where(AlertGroup.status == status)
    rows, cursor = await paginate(session, stmt, page, [AlertGroup.id])
    return Page(items=[AlertGroupOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/groups/{group_id}", response_model=AlertGroupOut)
async def get_group(group_id: int, _: Reader, session: SessionDep) -> AlertGroupOut:
    group = await session.get(AlertGroup, group_id)
    if group is None:
        raise NotFound(f"No alert group with id {group_id}.")
    return AlertGroupOut.model_validate(group)


@router.get("/grouped", response_model=GroupedAlertsOut)
async def grouped_alerts(_: Reader, session: SessionDep) -> GroupedAlertsOut:
    """The open alerts as they page: every group holding one (an alert that took
    `continue` routes is in each of their groups), most severe first, then newest; each
    group's alerts most severe first, then newest."""
    current = await store.open_alerts(session)
    alerts, member, groups = current.alerts, current.memberships, current.groups
    held: dict[int, list[Alert]] = {}
    ungrouped: list[Alert] = []
    for alert in alerts:
        ids = [g for g in member.get(alert.id, []) if g in groups]
        if not ids:
            ungrouped.append(alert)
        for group_id in ids:
            held.setdefault(group_id, []).append(alert)

    def order(alert: Alert) -> tuple[int, float]:
        return RANK.get(Severity(alert.severity), len(RANK)), -alert.starts_at.timestamp()

    ordered = sorted(
        ((sorted(members, key=order), group_id) for group_id, members in held.items()),
        key=lambda pair: (order(pair[0][0]), -pair[1]),
    )
    ungrouped.sort(key=order)
    return GroupedAlertsOut(
        groups=[
            PagingGroupOut(
                group=AlertGroupOut.model_validate(groups[group_id]),
                alerts=[AlertOut.model_validate(a) for a in members],
            )
            for members, group_id in ordered
        ],
        ungrouped=[AlertOut.model_validate(a) for a in ungrouped],
    )


@router.get("/{alert_id}", response_model=AlertOut)
async def get_alert(alert_id: int, _: Reader, session: SessionDep) -> AlertOut:
    return AlertOut.model_validate(await lifecycle.get_alert(session, alert_id))


@router.get("/{alert_id}/events", response_model=list[AlertEventOut])
async def get_alert_events(alert_id: int, _: Reader, session: SessionDep) -> list[AlertEventOut]:
    await lifecycle.get_alert(session, alert_id)
    rows = await session.scalars(
        select(AlertEvent).where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.id)
    )
    return [AlertEventOut.model_validate(r) for r in rows]


@router.get("/{alert_id}/occurrences", response_model=list[OccurrenceOut])
async def get_occurrences(alert_id: int, _: Reader, session: SessionDep) -> list[OccurrenceOut]:
    await lifecycle.get_alert(session, alert_id)
    rows = await session.scalars(
        select(AlertOccurrence)
        .where(AlertOccurrence.alert_id == alert_id)
        .order_by(AlertOccurrence.id)
    )
    return [OccurrenceOut.model_validate(r) for r in rows]


@router.post("/{alert_id}/acknowledge", response_model=AlertOut)
async def acknowledge_alert(alert_id: int, principal: Responder, session: SessionDep) -> AlertOut:
    """Acknowledge: someone is on it; escalation stops."""
    return AlertOut.model_validate(
        await lifecycle.acknowledge(session, alert_id, principal.name, now())
    )


@router.post("/{alert_id}/resolve", response_model=AlertOut)
async def resolve_alert(alert_id: int, principal: Responder, session: SessionDep) -> AlertOut:
    """Resolve by hand; whoever was paged gets the resolve, even if it is silenced now."""
    return AlertOut.model_validate(
        await lifecycle.resolve(session, alert_id, principal.name, now())
    )


@router.post("/{alert_id}/silence", response_model=AlertOut)
async def silence_alert(
    alert_id: int,
    principal: Responder,
    session: SessionDep,
    body: SilenceAlertRequest | None = None,
) -> AlertOut:
    """Silence this alert's label set for duration_minutes (default 60)."""
    req = body or SilenceAlertRequest()
    await lifecycle.silence_alert(
        session,
        alert_id,
        principal.name,
        now(),
        timedelta(minutes=req.duration_minutes),
        req.comment,
    )
    return AlertOut.model_validate(await lifecycle.get_alert(session, alert_id))

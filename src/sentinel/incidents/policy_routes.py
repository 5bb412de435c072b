"""CRUD of the policies that open incidents from alerts, and linking alerts by hand."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.alerting import lifecycle as alert_lifecycle
from sentinel.alerting.matchers import MatcherError, parse_matchers
from sentinel.api.deps import Reader, Responder, SessionDep, Writer
from sentinel.api.errors import BadRequest, Conflict, NotFound
from sentinel.api.pagination import Page, PageParams, paginate
from sentinel.auth import audit
from sentinel.incidents import responses, schemas, service
from sentinel.incidents.models import IncidentPolicy

router = APIRouter(tags=["incidents"])


def _check(body: schemas.PolicyIn) -> None:
    for text in body.matchers:
        try:
            parse_matchers(text)
        except MatcherError as exc:
            raise BadRequest(f"Bad matcher {text!r}: {exc}") from None
    if body.min_severity is None and body.group_threshold is None:
        raise BadRequest("A policy needs min_severity, group_threshold or both.")


async def _policy(session: AsyncSession, policy_id: int) -> IncidentPolicy:
    row = await session.get(IncidentPolicy, policy_id)
    if row is None:
        raise NotFound(f"No incident policy with id {policy_id}.")
    return row


async def _unique(session: AsyncSession, name: str, policy_id: int | None) -> None:
    other = await session.scalar(select(IncidentPolicy.id).where(IncidentPolicy.name == name))
    if other is not None and other != policy_id:
        raise Conflict(f"An incident policy named {name!r} exists already.")


def _out(row: IncidentPolicy) -> schemas.PolicyOut:
    return schemas.PolicyOut.model_validate(row, from_attributes=True)


@router.get("/api/incident-policies", response_model=Page[schemas.PolicyOut])
async def list_policies(
    _: Reader, session: SessionDep, page: PageParams
) -> Page[schemas.PolicyOut]:
    """Policies in id order. With none, alerts of severity >= high open incidents
    (SENTINEL_INCIDENT_DEFAULT_MIN_SEVERITY; "off" disables)."""
    rows, cursor = await paginate(
        session, select(IncidentPolicy), page, [IncidentPolicy.id], descending=False
    )
    return Page(items=[_out(r) for r in rows], next_cursor=cursor)


@router.post("/api/incident-policies", response_model=schemas.PolicyOut, status_code=201)
async def create_policy(
    body: schemas.PolicyIn, principal: Writer, session: SessionDep
) -> schemas.PolicyOut:
    """Open an incident when an alert (on the given routes, matching the matchers) is at
    least `min_severity`, or when its group has `group_threshold` alerts within
    `group_window_s` seconds. Policies are tried in `position` order."""
    _check(body)
    await _unique(session, body.name, None)
    now = datetime.now(UTC)
    row = IncidentPolicy(**body.model_dump(), created_at=now, updated_at=now)
    session.add(row)
    await session.flush()
    audit.record(session, principal, "incident_policy.create", "incident_policy", row.id)
    return _out(row)


@router.get("/api/incident-policies/{policy_id}", response_model=schemas.PolicyOut)
async def get_policy(policy_id: int, _: Reader, session: SessionDep) -> schemas.PolicyOut:
    return _out(await _policy(session, policy_id))


@router.put("/api/incident-policies/{policy_id}", response_model=schemas.PolicyOut)
async def replace_policy(
    policy_id: int, body: schemas.PolicyIn, principal: Writer, session: SessionDep
) -> schemas.PolicyOut:
    row = await _policy(session, policy_id)
    _check(body)
    await _unique(session, body.name, policy_id)
    for key, value in body.model_dump().items():
        setattr(row, key, value)
    row.updated_at = datetime.now(UTC)
    audit.record(session, principal, "incident_policy.update", "incident_policy", policy_id)
    return _out(row)


@router.delete("/api/incident-policies/{policy_id}", status_code=204)
async def delete_policy(policy_id: int, principal: Writer, session: SessionDep) -> Response:
    await session.delete(await _policy(session, policy_id))
    audit.record(session, principal, "incident_policy.delete", "incident_policy", policy_id)
    return Response(status_code=204)


class LinkAlertIn(BaseModel):
    alert_id: int


@router.post("/api/incidents/{incident_id}/alerts", response_model=schemas.IncidentOut)
async def link_alert(
    incident_id: int, body: LinkAlertIn, principal: Responder, session: SessionDep
) -> schemas.IncidentOut:
    """Link an alert to the incident by hand (idempotent); it goes on the timeline."""
    incident = await service.get_incident(session, incident_id, lock=True)
    alert = await alert_lifecycle.get_alert(session, body.alert_id)
    if await service.link_alert(session, incident, alert, principal.name, datetime.now(UTC)):
        audit.record(
            session, principal, "incident.link_alert", "incident", incident_id, {"alert": alert.id}
        )
    return await responses.incident_out(session, incident)

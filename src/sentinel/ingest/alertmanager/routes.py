"""Alertmanager API v2 endpoints and the Alertmanager webhook receiver."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import ValidationError
from sqlalchemy import select

from sentinel import __version__
from sentinel.alerting.gate import alerting_settings, ingest_batch
from sentinel.alerting.lifecycle import refresh_mutes
from sentinel.alerting.matchers import Matcher as LabelMatcher
from sentinel.alerting.matchers import (
    MatcherError,
    matches_all,
    parse_matchers,
    selects_everything,
)
from sentinel.alerting.models import AlertGroup, Silence
from sentinel.alerting.settings_routes import expire, silence_by_uid
from sentinel.alerting.store import silence_matchers, silence_rule
from sentinel.api.deps import Ingester, Reader, Responder, SessionDep
from sentinel.api.errors import BadRequest
from sentinel.auth import audit
from sentinel.ingest.alertmanager import views
from sentinel.ingest.alertmanager.wire import (
    PostableSilence,
    WebhookMessage,
    WireError,
    decode_postable,
    from_model,
    iso,
    pydantic_errors,
    to_incoming,
)

router = APIRouter(tags=["alertmanager compatible"])
_STARTED = datetime.now(UTC)
Filters = Annotated[list[str] | None, Query(description='Matchers such as alertname="Up".')]


def _now() -> datetime:
    return datetime.now(UTC)


@router.post("/api/v2/alerts", status_code=200)
async def post_alerts(request: Request, principal: Ingester, session: SessionDep) -> Response:
    """Prometheus's alert push (Alertmanager API v2): a JSON list of alerts. The whole batch
    is validated first and stored in one transaction; a bad alert rejects the batch."""
    body = await request.body()
    try:
        alerts = decode_postable(body)
    except WireError as exc:
        raise BadRequest(str(exc), errors=exc.errors) from None
    settings = alerting_settings(request)
    if len(alerts) > settings.max_batch:
        raise BadRequest(f"at most {settings.max_batch} alerts per request")
    now = _now()
    incoming = [to_incoming(a, "alertmanager", now) for a in alerts]
    await ingest_batch(request, incoming, principal.name)
    return Response(status_code=200)


def _filters(filters: list[str] | None) -> list[LabelMatcher]:
    try:
        return [m for text in filters or [] for m in parse_matchers(text)]
    except MatcherError as exc:
        raise BadRequest(f"bad filter: {exc}") from None


def _view_filters(
    filter: list[str] | None, receiver: str | None, active: bool, silenced: bool, inhibited: bool
) -> views.Filters:
    try:
        pattern = views.receiver_pattern(receiver)
    except re.error as exc:
        raise BadRequest(f"failed to parse receiver param: {exc}") from None
    return views.Filters(_filters(filter), pattern, active, silenced, inhibited)


ReceiverQ = Annotated[
    str | None, Query(description="A regex matching receivers (anchored, as Alertmanager's).")
]


def _clock(request: Request) -> views.Clock:
    timeout = alerting_settings(request).resolve_timeout_seconds
    return views.Clock(_now(), timedelta(seconds=timeout))


@router.get("/api/v2/alerts")
async def get_alerts(
    request: Request,
    _: Reader,
    session: SessionDep,
    filter: Filters = None,
    receiver: ReceiverQ = None,
    active: bool = True,
    silenced: bool = True,
    inhibited: bool = True,
    unprocessed: bool = True,
) -> list[dict[str, Any]]:
    """Open alerts in Alertmanager's gettableAlert shape (`unprocessed` is accepted for
    amtool; Sentinel routes an alert before answering, so none is ever unprocessed)."""
    chosen = _view_filters(filter, receiver, active, silenced, inhibited)
    return await views.alerts_view(session, chosen, _clock(request))


@router.get("/api/v2/alerts/groups")
async def get_alert_groups(
    request: Request,
    _: Reader,
    session: SessionDep,
    filter: Filters = None,
    receiver: ReceiverQ = None,
    active: bool = True,
    silenced: bool = True,
    inhibited: bool = True,
) -> list[dict[str, Any]]:
    """Alert groups as Alertmanager's alertGroup: {labels, receiver: {name}, alerts}, one
    per group Sentinel's routing and grouping put open alerts in."""
    chosen = _view_filters(filter, receiver, active, silenced, inhibited)
    return await views.groups_view(session, chosen, _clock(request))


def _gettable(row: Silence, now: datetime) -> dict[str, Any]:
    return {
        "id": row.uid,
        "status": {"state": silence_rule(row).state(now)},
        "updatedAt": iso(row.updated_at),
        "matchers": [
            {
                "name": m["name"],
                "value": m["value"],
                "isRegex": bool(m.get("isRegex")),
                "isEqual": m.get("isEqual", True) is not False,
            }
            for m in row.matchers
        ],
        "startsAt": iso(row.starts_at),
        "endsAt": iso(row.ends_at),
        "createdBy": row.created_by,
        "comment": row.comment,
    }


@router.post("/api/v2/silences")
async def post_silence(
    request: Request, principal: Responder, session: SessionDep
) -> dict[str, str]:
    """Create a silence (or replace one, with `id`); answers {"silenceID": ...}."""
    try:
        body = PostableSilence.model_validate_json(await request.body())
    except ValidationError as exc:
        errors = pydantic_errors(exc)
        raise BadRequest(
            f"invalid silence: {errors[0]['field']}: {errors[0]['message']}", errors=errors
        ) from None
    now = _now()
    matchers = [m.model_dump() for m in body.matchers]
    try:
        parsed = silence_matchers(matchers)
    except MatcherError as exc:
        raise BadRequest(f"invalid silence matcher: {exc}") from None
    if selects_everything(parsed):
        raise BadRequest("at least one matcher must not match the empty string")
    if body.endsAt <= body.startsAt:
        raise BadRequest("end time must be after start time")
    if body.endsAt < now:
        raise BadRequest("end time can't be in the past")
    row = None
    if body.id:
        row = await session.scalar(select(Silence).where(Silence.uid == body.id))
        if row is None:
            raise BadRequest(f"silence {body.id} not found")
    if row is None:
        row = Silence(uid=str(uuid.uuid4()), created_at=now)
        session.add(row)
    # As in Alertmanager, a start in the past means "from now".
    row.matchers, row.starts_at, row.ends_at = matchers, max(body.startsAt, now), body.endsAt
    row.created_by, row.comment, row.updated_at = body.createdBy, body.comment, now
    await session.flush()
    audit.record(
        session,
        principal,
        "silence.create",
        "silence",
        row.uid,
        {
            "matchers": [str(m) for m in parsed],
            "ends_at": iso(body.endsAt),
            "created_by": body.createdBy,
        },
    )
    await refresh_mutes(session, now)
    return {"silenceID": row.uid}


@router.get("/api/v2/silences")
async def get_silences(
    _: Reader, session: SessionDep, filter: Filters = None
) -> list[dict[str, Any]]:
    """All silences in Alertmanager's gettableSilence shape."""
    matchers = _filters(filter)
    now = _now()
    rows = (await session.scalars(select(Silence).order_by(Silence.id.desc()).limit(10_000))).all()
    out = []
    for row in rows:
        equal = {
            m["name"]: m["value"]
            for m in row.matchers
            if not m.get("isRegex") and m.get("isEqual", True)
        }
        if matches_all(matchers, equal):
            out.append(_gettable(row, now))
    return out


@router.get("/api/v2/silence/{silence_id}")
async def get_silence(silence_id: str, _: Reader, session: SessionDep) -> dict[str, Any]:
    return _gettable(await silence_by_uid(session, silence_id), _now())


@router.delete("/api/v2/silence/{silence_id}")
async def delete_silence(silence_id: str, principal: Responder, session: SessionDep) -> Response:
    """Expire the silence now."""
    row = await silence_by_uid(session, silence_id)
    await expire(session, row, _now())
    audit.record(session, principal, "silence.expire", "silence", row.uid)
    return Response(status_code=200)


@router.get("/api/v2/status")
async def status(_: Reader) -> dict[str, Any]:
    """Enough of Alertmanager's status for amtool and Grafana to accept Sentinel."""
    return {
        "cluster": {"status": "disabled", "peers": []},
        "versionInfo": {
            "version": "0.27.0",
            "revision": f"sentinel-{__version__}",
            "branch": "sentinel",
            "buildUser": "sentinel",
            "buildDate": "",
            "goVersion": "n/a",
        },
        "config": {"original": "# managed by Sentinel: see /api/alerting/routes\n"},
        "uptime": iso(_STARTED),
    }


@router.get("/api/v2/receivers")
async def receivers(_: Reader, session: SessionDep) -> list[dict[str, str]]:
    names = set((await session.scalars(select(AlertGroup.receiver).distinct())).all())
    return [{"name": n} for n in sorted(names | {"default"})]


@router.post("/api/integrations/alertmanager")
async def alertmanager_webhook(
    request: Request, principal: Ingester, session: SessionDep
) -> dict[str, Any]:
    """Receive an existing Alertmanager's webhook notifications (firing and resolved)."""
    started = time.perf_counter()
    try:
        message = WebhookMessage.model_validate_json(await request.body())
    except ValidationError as exc:
        errors = pydantic_errors(exc)
        raise BadRequest(
            f"invalid webhook message: {errors[0]['field']}: {errors[0]['message']}", errors=errors
        ) from None
    now = _now()
    incoming = []
    for a in message.alerts:
        item = to_incoming(
            from_model(a), "alertmanager-webhook", now, resolved=a.status == "resolved"
        )
        item.expires = False  # Alertmanager sends the resolve itself
        if not item.resolve:
            item.ends_at = None
        incoming.append(item)
    result = await ingest_batch(request, incoming, principal.name)
    return {
        "status": "success",
        "received": result.received,
        "results": dict(result.counts),
        "took_ms": round((time.perf_counter() - started) * 1000, 1),
    }

"""Alertmanager API v2 endpoints and the Alertmanager webhook receiver."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import ValidationError
from sqlalchemy import select

from sentinel import __version__
from sentinel.alerting.gate import alerting_settings, ingest_batch
from sentinel.alerting.lifecycle import refresh_mutes
from sentinel.alerting.matchers import Matcher as LabelMatcher
from sentinel.alerting.matchers import MatcherError, matches_all, parse_matchers
from sentinel.alerting.models import Alert, AlertGroup, Silence
from sentinel.alerting.settings_routes import expire, silence_by_uid
from sentinel.alerting.severity import OPEN_STATUSES
from sentinel.alerting.store import silence_matchers, silence_rule
from sentinel.api.deps import Ingester, Reader, Responder, SessionDep
from sentinel.api.errors import BadRequest
from sentinel.auth import audit
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


@router.get("/api/v2/alerts")
async def get_alerts(
    _: Reader,
    session: SessionDep,
    filter: Filters = None,
    active: bool = True,
    silenced: bool = True,
    inhibited: bool = True,
) -> list[dict[str, Any]]:
    """Open alerts in Alertmanager's gettableAlert shape."""
    matchers = _filters(filter)
    rows = (
        await session.execute(
            select(Alert, AlertGroup.receiver)
            .outerjoin(AlertGroup, AlertGroup.id == Alert.group_id)
            .where(Alert.status.in_(OPEN_STATUSES))
            .order_by(Alert.id)
            .limit(10_000)
        )
    ).all()
    out = []
    for alert, receiver in rows:
        if not matches_all(matchers, alert.labels):
            continue
        muted = alert.muted_by or ""
        silenced_by = [muted.split(":", 1)[1]] if muted.startswith("silence:") else []
        inhibited_by = [muted.split(":", 1)[1]] if muted.startswith("inhibition:") else []
        state = "suppressed" if muted else "active"
        if (
            (state == "active" and not active)
            or (silenced_by and not silenced)
            or (inhibited_by and not inhibited)
        ):
            continue
        out.append(
            {
                "labels": alert.labels,
                "annotations": alert.annotations,
                "startsAt": iso(alert.starts_at),
                "endsAt": iso(alert.ends_at or alert.last_seen_at),
                "updatedAt": iso(alert.updated_at),
                "generatorURL": alert.generator_url,
                "fingerprint": alert.fingerprint,
                "receivers": [{"name": receiver or "default"}],
                "status": {"state": state, "silencedBy": silenced_by, "inhibitedBy": inhibited_by},
            }
        )
    return out


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
    if all(m.matches({}) for m in parsed):
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

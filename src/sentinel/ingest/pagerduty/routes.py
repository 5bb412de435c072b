"""`POST /v2/enqueue`: PagerDuty Events API v2. The routing_key is the credential,
because PagerDuty senders cannot set headers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sentinel.alerting.gate import ingest_batch
from sentinel.api.deps import AuthConfigDep, SessionDep
from sentinel.api.errors import Problem
from sentinel.auth.roles import Permission
from sentinel.auth.service import authenticate
from sentinel.ingest.pagerduty.wire import InvalidEvent, decode_event

router = APIRouter(tags=["pagerduty compatible"])


def _invalid(errors: list[str], status: int = 400) -> JSONResponse:
    return JSONResponse(
        {"status": "invalid event", "message": "Event object is invalid", "errors": errors},
        status_code=status,
    )


@router.post("/v2/enqueue", status_code=202)
async def enqueue(request: Request, session: SessionDep, config: AuthConfigDep) -> JSONResponse:
    """Trigger, acknowledge or resolve an alert by dedup_key; answers as PagerDuty does."""
    try:
        raw: Any = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return _invalid(["Event object is not valid JSON"])
    key = raw.get("routing_key") if isinstance(raw, dict) else None
    if not isinstance(key, str) or not key:
        return _invalid(["'routing_key' is missing or blank"])
    try:
        principal = await authenticate(session, config, key)
    except Problem:
        return _invalid(["'routing_key' is not a valid Sentinel ingest key"])
    if not principal.can(Permission.INGEST):
        return _invalid(["'routing_key' may not send events (needs the ingest scope)"], 403)
    now = datetime.now(UTC)
    try:
        alert, dedup_key = decode_event(raw, principal.name, now)
    except InvalidEvent as exc:
        return _invalid(exc.errors)
    await ingest_batch(request, [alert], principal.name)
    return JSONResponse(
        {"status": "success", "message": "Event processed", "dedup_key": dedup_key},
        status_code=202,
    )

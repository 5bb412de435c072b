"""`POST /api/integrations/webhook/{key}`: the generic webhook for scripts and cron jobs.
The key in the path is the credential (an ingest API key), so plain curl works."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from sentinel.alerting.gate import ingest_batch
from sentinel.alerting.pipeline import IncomingAlert
from sentinel.alerting.schemas import check_labels
from sentinel.alerting.severity import Severity
from sentinel.api.deps import AuthConfigDep, SessionDep
from sentinel.api.errors import BadRequest, Forbidden
from sentinel.auth.roles import Permission
from sentinel.auth.service import authenticate

router = APIRouter(tags=["alerting"])


class WebhookAlert(BaseModel):
    """One alert from anything with curl. Identity: `labels` plus alertname and service,
    or `dedup_key` when given."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    alert_name: str = Field(min_length=1, max_length=200, validation_alias="alert_name")
    service_name: str = Field("", max_length=200)
    severity: Severity = Severity.MEDIUM
    status: str = Field("firing", pattern="^(firing|resolved)$")
    title: str = Field("", max_length=1000)
    description: str = Field("", max_length=10_000)
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    current_value: float | None = None
    threshold_value: float | None = None
    dedup_key: str | None = Field(None, max_length=255)

    _labels = field_validator("labels")(classmethod(lambda cls, v: check_labels(v)))


BODY = TypeAdapter(WebhookAlert | list[WebhookAlert])


def to_incoming(a: WebhookAlert) -> IncomingAlert:
    labels = {**a.labels, "alertname": a.alert_name}
    if a.service_name:
        labels["service"] = a.service_name
    if a.dedup_key:
        labels = {"dedup_key": a.dedup_key}
    return IncomingAlert(
        labels=labels,
        source="webhook",
        severity=a.severity,
        annotations=a.annotations,
        alert_name=a.alert_name,
        service=a.service_name,
        title=a.title,
        description=a.description,
        current_value=a.current_value,
        threshold_value=a.threshold_value,
        resolve=a.status == "resolved",
    )


@router.post("/api/integrations/webhook/{key}", status_code=202)
async def generic_webhook(
    key: Annotated[str, Path(max_length=200)],
    request: Request,
    session: SessionDep,
    config: AuthConfigDep,
) -> dict[str, Any]:
    """Raise or resolve one alert (an object) or several (a list)."""
    principal = await authenticate(session, config, key)
    if not principal.can(Permission.INGEST):
        raise Forbidden("This key may not send alerts (it needs the ingest scope).")
    try:
        parsed = BODY.validate_json(await request.body())
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
            for e in exc.errors()[:20]
        ]
        raise BadRequest(
            f"invalid alert: {errors[0]['field']}: {errors[0]['message']}", errors=errors
        ) from None
    alerts = parsed if isinstance(parsed, list) else [parsed]
    if not alerts:
        raise BadRequest("no alerts in the request")
    incoming = [to_incoming(a) for a in alerts]
    result = await ingest_batch(request, incoming, principal.name)
    return {
        "status": "accepted",
        "alerts": [
            {
                "fingerprint": i.fingerprint,
                "alert_id": result.ids.get(i.fingerprint),
                "action": result.transitions[i.fingerprint].value,
            }
            for i in incoming
        ],
    }

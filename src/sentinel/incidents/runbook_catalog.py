"""Runbooks as saved and shown: secret header values sealed (and kept on update when sent
back as '***'), literal step hosts checked against the allow-list, API shapes."""

from __future__ import annotations

from typing import Any

from sentinel.api.errors import BadRequest, Problem
from sentinel.incidents import runbook_schemas as rs
from sentinel.incidents import secrets
from sentinel.incidents.hostguard import AllowList, HostDenied
from sentinel.incidents.models import Runbook, RunbookRun
from sentinel.incidents.runbook_calls import target


def stored_steps(
    steps: list[rs.StepIn], old: list[dict[str, Any]], server_secret: str
) -> list[dict[str, Any]]:
    """Steps as stored: secret header values sealed; '***' keeps the old sealed value."""
    old_secrets = {s["name"]: s.get("secret_headers", {}) for s in old}
    out = []
    for step in steps:
        sealed = {}
        for header, value in step.secret_headers.items():
            if value == secrets.REDACTED:
                kept = old_secrets.get(step.name, {}).get(header)
                if kept is None:
                    raise BadRequest(
                        f"Step {step.name!r}: no stored value for secret header {header!r}."
                    )
                sealed[header] = kept
            else:
                sealed[header] = secrets.seal(server_secret, value)
        out.append({**step.model_dump(exclude={"secret_headers"}), "secret_headers": sealed})
    return out


def check_literal_hosts(steps: list[rs.StepIn], allow: AllowList) -> None:
    """Refuse (422) a step whose URL names its host literally (no template in
    scheme://host:port) when the allow-list can never let that host be called."""
    errors = []
    for i, step in enumerate(steps):
        scheme, sep, rest = step.url.partition("://")
        authority = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
        if not sep or "{{" in scheme or "{{" in authority or "{%" in authority:
            continue  # decided when the step runs, on the rendered URL
        try:
            host, port = target(f"{scheme}://{authority}/")
            allow.check_literal(host, port)
        except (ValueError, HostDenied) as exc:
            errors.append({"field": f"body.steps.{i}.url", "message": str(exc), "type": "host"})
    if errors:
        raise Problem(
            "Runbook steps may not call: " + " ".join(e["message"] for e in errors),
            status=422,
            slug="runbook-host-denied",
            errors=errors,
        )


def runbook_out(row: Runbook) -> rs.RunbookOut:
    return rs.RunbookOut(
        id=row.id,
        name=row.name,
        markdown=row.markdown,
        services=list(row.services),
        alert_names=list(row.alert_names),
        steps=[
            rs.StepOut(
                **{k: v for k, v in s.items() if k != "secret_headers"},
                secret_headers={h: secrets.REDACTED for h in s.get("secret_headers", {})},
            )
            for s in row.steps
        ],
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def run_out(row: RunbookRun) -> rs.RunOut:
    return rs.RunOut.model_validate(row, from_attributes=True)

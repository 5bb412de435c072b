"""A runbook step as an HTTP call: rendered from the incident's context, shown without its
secrets, and made with its timeout (no redirects followed)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from sentinel.incidents import secrets, templating

EXCERPT = 2000
CallResult = tuple[str, int | None, str, str]


@dataclass
class RenderedCall:
    method: str
    url: str
    headers: dict[str, str]
    body: Any
    timeout_s: float
    secret_values: list[str]

    secret_names: tuple[str, ...] = ()


def render_call(step: dict[str, Any], context: dict[str, Any], server_secret: str) -> RenderedCall:
    """Render a step; TemplateError names the missing field."""
    url = templating.render(step["url"], context)
    if not url.startswith(("http://", "https://")):
        raise templating.TemplateError(f"The rendered url {url!r} is not http(s).")
    headers = {k: templating.render(v, context) for k, v in step.get("headers", {}).items()}
    clear = {h: secrets.unseal(server_secret, t) for h, t in step.get("secret_headers", {}).items()}
    call = RenderedCall(
        method=step.get("method", "POST"),
        url=url,
        headers=headers,
        body=templating.render_value(step.get("body"), context),
        timeout_s=float(step.get("timeout_s", 10.0)),
        secret_values=list(clear.values()),
        secret_names=tuple(clear),
    )
    call.headers = {**headers, **clear}
    return call


def shown(call: RenderedCall) -> dict[str, Any]:
    public = {k: v for k, v in call.headers.items() if k not in call.secret_names}
    return {
        "method": call.method,
        "url": call.url,
        "headers": public | {h: secrets.REDACTED for h in call.secret_names},
        "body": call.body,
        "timeout_s": call.timeout_s,
    }


async def perform(call: RenderedCall) -> tuple[str, int | None, str, str]:
    """(status, http status, response excerpt, error) of one HTTP call."""
    started = time.monotonic()
    try:
        async with httpx.AsyncClient(timeout=call.timeout_s, follow_redirects=False) as client:
            response = await client.request(
                call.method,
                call.url,
                headers=call.headers,
                json=call.body if call.body is not None else None,
            )
    except httpx.TimeoutException:
        return "timed_out", None, "", f"No answer within {call.timeout_s:g} s."
    except httpx.HTTPError as exc:
        return "failed", None, "", f"{type(exc).__name__}: {exc}"
    ms = (time.monotonic() - started) * 1000
    excerpt = secrets.scrub(response.text[:EXCERPT], call.secret_values)
    status = "succeeded" if response.is_success else "failed"
    error = "" if response.is_success else f"HTTP {response.status_code}"
    return status, response.status_code, excerpt, error or f"{ms:.0f} ms"

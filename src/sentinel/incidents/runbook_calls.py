"""A runbook step as an HTTP call: rendered from the incident's context, checked against
the host allow-list (hostguard.py), shown without its secrets, and made with its timeout
to the address that was checked (no redirects followed, no proxy from the environment:
either would let the call reach a host nobody checked)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from sentinel.incidents import hostguard, secrets, templating

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
    # The addresses the host resolved to and passed the guard; the call goes to these.
    addresses: tuple[str, ...] = ()


def target(url: str) -> tuple[str, int]:
    """(host, port) of an http(s) URL; ValueError when it has no host."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ValueError(f"{url!r} is not a valid URL: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"{url!r} is not an http(s) URL with a host.")
    return parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80)


def render_call(step: dict[str, Any], context: dict[str, Any], server_secret: str) -> RenderedCall:
    """Render a step; TemplateError names the missing field."""
    url = templating.render(step["url"], context)
    if not url.startswith(("http://", "https://")):
        raise templating.TemplateError(f"The rendered url {url!r} is not http(s).")
    try:
        target(url)
    except ValueError as exc:
        raise templating.TemplateError(f"The rendered url: {exc}") from None
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


async def guard(call: RenderedCall, allow: hostguard.AllowList) -> None:
    """Resolve the call's host and check every address; HostDenied says why not. The
    checked addresses are kept on the call: it goes to them and nowhere else."""
    host, port = target(call.url)
    addresses = await hostguard.resolve(host, port)
    allow.check_addresses(host, port, addresses)
    call.addresses = tuple(str(a) for a in addresses)


async def _send(client: httpx.AsyncClient, call: RenderedCall) -> httpx.Response:
    url = httpx.URL(call.url)
    json_body = call.body if call.body is not None else None
    if not call.addresses or hostguard.as_address(url.host) is not None:
        return await client.request(call.method, url, headers=call.headers, json=json_body)
    # The name stays in the Host header and is what TLS verifies; the socket goes to the
    # address that was checked. The next address is tried only if one cannot connect.
    headers = dict(call.headers)
    if not any(k.lower() == "host" for k in headers):
        headers["Host"] = url.netloc.decode("ascii")
    extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
    for i, address in enumerate(call.addresses):
        try:
            return await client.request(
                call.method,
                url.copy_with(host=address),
                headers=headers,
                json=json_body,
                extensions=extensions,
            )
        except httpx.ConnectError:
            if i == len(call.addresses) - 1:
                raise
    raise AssertionError("unreachable")


async def perform(call: RenderedCall) -> tuple[str, int | None, str, str]:
    """(status, http status, response excerpt, error) of one HTTP call."""
    started = time.monotonic()
    try:
        async with httpx.AsyncClient(
            timeout=call.timeout_s, follow_redirects=False, trust_env=False
        ) as client:
            response = await _send(client, call)
    except httpx.TimeoutException:
        return "timed_out", None, "", f"No answer within {call.timeout_s:g} s."
    except httpx.HTTPError as exc:
        return "failed", None, "", f"{type(exc).__name__}: {exc}"
    ms = (time.monotonic() - started) * 1000
    excerpt = secrets.scrub(response.text[:EXCERPT], call.secret_values)
    status = "succeeded" if response.is_success else "failed"
    error = "" if response.is_success else f"HTTP {response.status_code}"
    return status, response.status_code, excerpt, error or f"{ms:.0f} ms"

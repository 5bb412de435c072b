"""The outermost layer: request ids, body limits, gzip bodies, metrics, access logs, 500s."""

from __future__ import annotations

import logging
import re
import time
import uuid
import zlib
from typing import Any

import orjson
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sentinel.api.errors import PROBLEM_MEDIA_TYPE, problem_body
from sentinel.observability import bind_request_id, reset_request_id

access_log = logging.getLogger("sentinel.access")
error_log = logging.getLogger("sentinel.api")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")
_QUIET_PATHS = {"/health", "/metrics"}


class BodyRejected(Exception):
    def __init__(
        self, status: int, detail: str, slug: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.slug = status, detail, slug
        self.headers = headers or {}


class BodyBudget:
    """Bounds the bytes of request bodies held in memory at once across all requests, so an
    overload answers 503 + Retry-After instead of growing the process."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_use = 0

    def take(self, size: int) -> None:
        if self.in_use + size > self.limit:
            raise BodyRejected(
                503,
                "The server is receiving more data than it can hold at once; retry shortly.",
                "overloaded",
                {"Retry-After": "1"},
            )
        self.in_use += size

    def give_back(self, size: int) -> None:
        self.in_use -= size


class HttpMetrics:
    """Request counts and latency histograms by route template, method and status."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "sentinel_http_requests_total",
            "HTTP requests answered, by route template, method and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "sentinel_http_request_duration_seconds",
            "HTTP request latency, by route template and method.",
            ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=registry,
        )


def gunzip_bounded(data: bytes, limit: int) -> bytes:
    """Decompress a gzip (or zlib) body, refusing to grow past `limit` bytes."""
    decompressor = zlib.decompressobj(wbits=47)
    try:
        out = decompressor.decompress(data, limit + 1)
    except zlib.error as exc:
        raise BodyRejected(400, f"The body is not valid gzip: {exc}.", "malformed-body") from exc
    if len(out) > limit or decompressor.unconsumed_tail:
        raise BodyRejected(
            413,
            f"The decompressed body is larger than the limit of {limit} bytes.",
            "body-too-large",
        )
    if not decompressor.eof:
        raise BodyRejected(400, "The gzip body is truncated.", "malformed-body")
    return out


class RequestContextMiddleware:
    """Pure ASGI middleware so that it wraps everything, including the error handlers."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        metrics: HttpMetrics,
        max_inflight_body_bytes: int = 256 * 1024 * 1024,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics
        self.budget = BodyBudget(max_inflight_body_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        incoming = headers.get("x-request-id", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = bind_request_id(request_id)
        started = time.perf_counter()
        state: dict[str, Any] = {"status": 500, "started": False, "held": 0}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["started"] = True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            receive = await self._prepared_body(scope, headers, receive, state)
            await self.app(scope, receive, send_wrapper)
        except BodyRejected as exc:
            await self._send_problem(send_wrapper, exc.status, exc.detail, exc.slug, exc.headers)
        except Exception:
            error_log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if not state["started"]:
                await self._send_problem(
                    send_wrapper,
                    500,
                    "Internal error; the request id identifies it in the server log.",
                    "internal-error",
                )
        finally:
            self.budget.give_back(state["held"])
            self._observe(scope, state["status"], time.perf_counter() - started)
            reset_request_id(token)

    def _hold(self, state: dict[str, Any], size: int) -> None:
        self.budget.take(size)
        state["held"] += size

    async def _prepared_body(
        self, scope: Scope, headers: dict[str, str], receive: Receive, state: dict[str, Any]
    ) -> Receive:
        """Buffer the body within the limit; undo gzip; hand the app a replaying receive."""
        if (
            scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE")
            and "content-length" not in headers
        ):
            return receive
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
            raise BodyRejected(
                413,
                f"The body is larger than the limit of {self.max_body_bytes} bytes.",
                "body-too-large",
            )
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            self._hold(state, len(chunk))
            if size > self.max_body_bytes:
                raise BodyRejected(
                    413,
                    f"The body is larger than the limit of {self.max_body_bytes} bytes.",
                    "body-too-large",
                )
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        encoding = headers.get("content-encoding", "identity").strip().lower()
        if encoding in ("gzip", "x-gzip", "deflate") and body:
            body = gunzip_bounded(body, self.max_body_bytes)
            self._hold(state, len(body))
            scope["headers"] = [
                (k, v)
                for k, v in scope["headers"]
                if k.lower() not in (b"content-encoding", b"content-length")
            ] + [(b"content-length", str(len(body)).encode())]
        elif encoding not in ("identity", "", "gzip", "x-gzip", "deflate"):
            raise BodyRejected(
                415,
                f"Content-Encoding '{encoding}' is not supported; send gzip or plain.",
                "unsupported-encoding",
            )
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay

    @staticmethod
    async def _send_problem(
        send: Send, status: int, detail: str, slug: str, headers: dict[str, str] | None = None
    ) -> None:
        payload = orjson.dumps(problem_body(status, detail, slug))
        extra = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(payload)).encode()),
                    *extra,
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    def _observe(self, scope: Scope, status: int, elapsed: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = scope["method"]
        self.metrics.requests.labels(method, template, str(status)).inc()
        self.metrics.latency.labels(method, template).observe(elapsed)
        level = logging.DEBUG if scope["path"] in _QUIET_PATHS else logging.INFO
        if access_log.isEnabledFor(level):
            access_log.log(
                level,
                "%s %s %s",
                method,
                scope["path"],
                status,
                extra={
                    "method": method,
                    "path": scope["path"],
                    "route": template,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )

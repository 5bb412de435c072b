"""One error shape for every 4xx and 5xx: RFC 9457 problem details."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from sentinel.observability import current_request_id

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("sentinel.api")


class Problem(Exception):
    """An error a client can act on; raised anywhere, rendered as problem details."""

    status = 400
    slug = "bad-request"

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        slug: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        if slug is not None:
            self.slug = slug
        self.errors = errors
        self.headers = headers
        self.extra = extra or {}


class BadRequest(Problem):
    status, slug = 400, "bad-request"


class Unauthorized(Problem):
    status, slug = 401, "unauthorized"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(Problem):
    status, slug = 403, "forbidden"


class NotFound(Problem):
    status, slug = 404, "not-found"


class Conflict(Problem):
    status, slug = 409, "conflict"


class ServiceUnavailable(Problem):
    status, slug = 503, "unavailable"

    def __init__(self, detail: str, retry_after: int = 5) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


def problem_body(
    status: int, detail: str, slug: str | None = None, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body: dict[str, Any] = {
        "type": f"/problems/{slug}" if slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    request_id = current_request_id()
    if request_id:
        body["request_id"] = request_id
    return body


def problem_response(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body = problem_body(status, detail, slug, errors)
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        location = ".".join(str(part) for part in err.get("loc", ()))
        out.append(
            {"field": location, "message": err.get("msg", "invalid"), "type": err.get("type")}
        )
    return out


def _is_outage(exc: DBAPIError) -> bool:
    if exc.connection_invalidated or isinstance(exc, OperationalError):
        return True
    text = str(exc.orig).lower() if exc.orig is not None else ""
    return any(word in text for word in ("connection", "locked", "shutting down", "terminat"))


async def _on_problem(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(
        exc.status,
        exc.detail,
        slug=exc.slug,
        errors=exc.errors,
        headers=exc.headers,
        extra=exc.extra,
    )


async def _on_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _field_errors(exc)
    if any(e["type"] == "json_invalid" for e in errors):
        return problem_response(
            400, "The request body is not valid JSON.", slug="malformed-json", errors=errors
        )
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return problem_response(
        422, f"The request is not valid: {summary}", slug="validation-error", errors=errors
    )


async def _on_http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        detail = "No such endpoint. The API is described at /docs."
    elif exc.status_code == 405:
        detail = "This endpoint does not accept that HTTP method."
    return problem_response(exc.status_code, detail, headers=dict(exc.headers or {}))


on_http_exception = _on_http  # public: the web UI's 404 handler falls back to it


async def _on_integrity(_request: Request, exc: Exception) -> JSONResponse:
    log.info("integrity error: %s", exc)
    return problem_response(409, "The change conflicts with an existing record.", slug="conflict")


# What the drivers say when a number from the request does not fit the column: asyncpg
# "value out of int64 range" (or int32, int16), sqlite3 "Python int too large to convert
# to SQLite INTEGER". A client sent it (an id past 2**63), so it is a 422, not a 500.
_OUT_OF_RANGE = ("value out of int", "too large to convert to sqlite integer")


def _out_of_range(exc: BaseException) -> JSONResponse | None:
    text = str(exc.orig if isinstance(exc, DBAPIError) else exc).lower()
    if not any(marker in text for marker in _OUT_OF_RANGE):
        return None
    log.info("number out of range: %s", text)
    return problem_response(
        422,
        "A number in the request is out of range: ids and counts must lie within "
        "-9223372036854775808 .. 9223372036854775807.",
        slug="number-out-of-range",
    )


async def _on_overflow(_request: Request, exc: Exception) -> JSONResponse:
    answer = _out_of_range(exc)
    if answer is not None:
        return answer
    log.error("unhandled overflow", exc_info=exc)
    return problem_response(500, "Internal error; the request id identifies it in the logs.")


async def _on_database(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    out_of_range = _out_of_range(exc)
    if out_of_range is not None:
        return out_of_range
    if _is_outage(exc):
        log.warning("database unavailable: %s", exc.orig)
        return problem_response(
            503,
            "The database is unavailable; retry shortly.",
            slug="database-unavailable",
            headers={"Retry-After": "5"},
        )
    log.exception("database error", exc_info=exc)
    return problem_response(500, "Internal error; the request id identifies it in the logs.")


async def _on_connection(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("database unreachable: %s", exc)
    return problem_response(
        503,
        "The database is unreachable; retry shortly.",
        slug="database-unavailable",
        headers={"Retry-After": "5"},
    )


async def _on_pool_timeout(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("no database connection free in time: %s", exc)
    return problem_response(
        503,
        "The server is busy (no database connection free); retry shortly.",
        slug="overloaded",
        headers={"Retry-After": "1"},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(IntegrityError, _on_integrity)
    app.add_exception_handler(DBAPIError, _on_database)
    app.add_exception_handler(OverflowError, _on_overflow)
    app.add_exception_handler(OSError, _on_connection)
    app.add_exception_handler(PoolTimeoutError, _on_pool_timeout)

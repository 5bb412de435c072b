"""Log ingest endpoints: OTLP/HTTP `/v1/logs`, the brief's `/api/logs/ingest` (JSON or
NDJSON) and Loki's `/loki/api/v1/push`. Each answers only after its rows are committed.

Limits (see sentinel.logs.records): 100,000 records per request, 32,768 characters per
line (cut, and reported), 128 attributes per record (extra dropped), bodies up to
SENTINEL_MAX_BODY_BYTES after decompression (413 past it), timestamps from 2000 to a
day ahead. A full write queue answers 429 with Retry-After.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse

from sentinel.api.deps import Ingester
from sentinel.api.errors import BadRequest, Problem
from sentinel.ingest.loki import push as loki
from sentinel.ingest.otlp import logs as otlp_logs
from sentinel.ingest.otlp import offload as otlp_offload
from sentinel.ingest.otlp.protocol import NOT_STORED_RESPONSE, Encoding, Overloaded, Signal
from sentinel.ingest.otlp.routes import export, pooled
from sentinel.ingest.pool import IngestUnavailable
from sentinel.ingest.pool_worker import Decode, Decoded, Malformed
from sentinel.logs import brief
from sentinel.logs.ingest import store_logs
from sentinel.logs.records import LogBatch
from sentinel.logs.runtime import LogsRuntime
from sentinel.logs.schemas import IngestResult

router = APIRouter(tags=["logs"])

LOGS = Signal(
    name="logs",
    rejected_field="rejected_log_records",
    rejected_json="rejectedLogRecords",
    response_type=ExportLogsServiceResponse,
)
_NDJSON = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines", "text/plain")


def _runtime(request: Request) -> LogsRuntime:
    runtime: LogsRuntime = request.app.state.logs
    return runtime


@router.post(
    "/v1/logs",
    summary="OTLP/HTTP logs export",
    response_class=Response,
    responses={
        200: {"description": "Stored (partialSuccess counts rejected records)."},
        400: {"description": "Not an OTLP logs export."},
        413: {"description": "Body over the size limit (after decompression)."},
        415: {"description": "Not application/x-protobuf or application/json."},
        429: {"description": "Write queue full; see Retry-After."},
        **NOT_STORED_RESPONSE,
    },
)
async def export_logs(request: Request, _principal: Ingester) -> Response:
    """Takes ExportLogsServiceRequest as protobuf or OTLP JSON, with an ingest API key."""
    db = request.app.state.db
    runtime = _runtime(request)

    async def store(batch: LogBatch) -> None:
        await store_logs(db, runtime, batch)

    pool = request.app.state.ingest_pool
    offload = None
    if pool is not None:
        offload = pooled(pool, otlp_offload.decode_logs, otlp_offload.write_logs, runtime.saw)
    return await export(
        request,
        LOGS,
        {Encoding.PROTOBUF: otlp_logs.decode_protobuf, Encoding.JSON: otlp_logs.decode_json},
        store,
        runtime.admission,
        offload,
    )


async def _ingest(
    request: Request,
    decode: Callable[[bytes], LogBatch],
    errors: tuple[type[Exception], ...],
    pooled_decode: Decode,
) -> Decoded:
    """Decode and store a brief or Loki body: in an ingest process when the pool runs
    (`pooled_decode` there), else here. Returns what was accepted and rejected."""
    runtime = _runtime(request)
    pool = request.app.state.ingest_pool
    refused: tuple[type[Exception], ...] = (Malformed, *errors)
    try:
        with runtime.admission.admit():
            body = await request.body()
            try:
                if pool is not None:
                    store = pooled(pool, pooled_decode, otlp_offload.write_logs, runtime.saw)
                    outcome = await store(Encoding.JSON, body)
                else:
                    batch = decode(body)
                    outcome = Decoded(
                        None, batch.rejected, batch.messages(), len(batch.rows), batch.truncated
                    )
                    await store_logs(request.app.state.db, runtime, batch)
            except refused as exc:
                raise BadRequest(str(exc)) from exc
    except Overloaded as exc:
        raise Problem(
            "The write queue is full; retry later.",
            status=429,
            slug="overloaded",
            headers={"Retry-After": str(exc.retry_after)},
        ) from exc
    except IngestUnavailable as exc:
        raise Problem(
            f"Not stored ({exc}); retry later.",
            status=503,
            slug="unavailable",
            headers={"Retry-After": "1"},
        ) from exc
    if not outcome.accepted and outcome.rejected:  # nothing was stored
        raise Problem(
            f"All {outcome.rejected} records were rejected: " + "; ".join(outcome.problems),
            status=422,
            slug="records-rejected",
            extra={"accepted": 0, "rejected": outcome.rejected, "errors": outcome.problems},
        )
    return outcome


_INGEST_EXAMPLE: dict[str, Any] = {
    "timestamp": "2024-05-01T12:00:00Z",
    "service_name": "checkout",
    "level": "ERROR",
    "message": "payment declined: card expired",
    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
    "span_id": "00f067aa0ba902b7",
    "attributes": {"order.id": "o-123"},
}


@router.post(
    "/api/logs/ingest",
    summary="Ingest one log record or a batch (JSON or NDJSON)",
    response_model=IngestResult,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"oneOf": [{"type": "object"}, {"type": "array"}]},
                    "example": _INGEST_EXAMPLE,
                },
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    },
    responses={
        400: {"description": "Not JSON/NDJSON records."},
        413: {"description": "Body over the size limit."},
        422: {"description": "Every record was rejected (the reasons are listed)."},
        429: {"description": "Write queue full; see Retry-After."},
        **NOT_STORED_RESPONSE,
    },
)
async def ingest_logs(request: Request, _principal: Ingester) -> IngestResult:
    """Records with `timestamp`, `service_name`, `level`, `message` and optional
    `trace_id`, `span_id`, `attributes`: one object, a list, or `{"logs": [...]}`; or
    NDJSON (Content-Type application/x-ndjson), one record per line. Bad records are
    rejected and counted; the good ones are stored."""
    media = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if media in _NDJSON:
        outcome = await _ingest(
            request, brief.decode_ndjson, (brief.NotLogs,), otlp_offload.decode_brief_ndjson
        )
    else:
        outcome = await _ingest(
            request, brief.decode_json, (brief.NotLogs,), otlp_offload.decode_brief_json
        )
    return IngestResult(
        accepted=outcome.accepted, rejected=outcome.rejected, errors=outcome.problems
    )


@router.post(
    "/loki/api/v1/push",
    summary="Loki push API (JSON)",
    status_code=204,
    response_class=Response,
    responses={
        200: {"description": "Some entries were rejected (counts in the body)."},
        400: {"description": "Not a Loki push request."},
        415: {"description": "Loki protobuf (snappy) is not accepted; send JSON."},
        **NOT_STORED_RESPONSE,
    },
)
async def loki_push(request: Request, _principal: Ingester) -> Response:
    """Promtail / Alloy / Fluent Bit push, JSON (gzip too). Labels become attributes;
    the service is the service_name, service or job label."""
    media = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if media == "application/x-protobuf":
        raise Problem(
            "Loki's snappy protobuf push is not accepted; configure the client for JSON.",
            status=415,
            slug="unsupported-media-type",
        )
    outcome = await _ingest(request, loki.decode, (loki.NotLokiPush,), otlp_offload.decode_loki)
    if outcome.rejected or outcome.truncated:
        return JSONResponse(
            IngestResult(
                accepted=outcome.accepted, rejected=outcome.rejected, errors=outcome.problems
            ).model_dump()
        )
    return Response(status_code=204)

"""POST /v1/traces: OTLP/HTTP in protobuf or JSON, plain or gzip (the middleware un-gzips)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from sentinel.ingest.auth import IngestKey
from sentinel.ingest.otlp import protocol, traces
from sentinel.ingest.otlp.protocol import (
    Encoding,
    IngestAdmission,
    OtlpReply,
    Overloaded,
    Signal,
)
from sentinel.ingest.otlp.values import OtlpFormatError
from sentinel.tracing.ingest import store_spans
from sentinel.tracing.records import SpanBatch

router = APIRouter(tags=["otlp"])

TRACES = Signal(
    name="traces",
    rejected_field="rejected_spans",
    rejected_json="rejectedSpans",
    response_type=ExportTraceServiceResponse,
)


def _response(reply: OtlpReply) -> Response:
    return Response(
        reply.body, status_code=reply.status, media_type=reply.media_type, headers=reply.headers
    )


async def export(
    request: Request,
    signal: Signal,
    decoders: dict[Encoding, Callable[[bytes], Any]],
    store: Callable[[Any], Awaitable[None]],
    admission: IngestAdmission,
) -> Response:
    """The OTLP/HTTP export flow, the same for every signal: negotiate (415), admit (429),
    decode (400), store (committed before the answer), answer in the request's encoding
    with partialSuccess. Decoded batches need `rejected` and `problems`."""
    encoding = protocol.negotiate(request.headers.get("content-type"))
    if encoding is None:
        return _response(
            protocol.failure(
                None,
                415,
                f"Content-Type {request.headers.get('content-type')!r} is not OTLP; send "
                "application/x-protobuf or application/json.",
            )
        )
    try:
        with admission.admit():
            body = await request.body()
            try:
                batch = decoders[encoding](body)
            except OtlpFormatError as exc:
                return _response(protocol.failure(encoding, 400, f"Malformed {signal.name}: {exc}"))
            await store(batch)
    except Overloaded as exc:
        return _response(
            protocol.failure(
                encoding, 429, "The write queue is full; retry later.", retry_after=exc.retry_after
            )
        )
    return _response(protocol.success(signal, encoding, batch.rejected, batch.problems))


@router.post(
    "/v1/traces",
    summary="OTLP/HTTP trace export",
    response_class=Response,
    responses={
        200: {"description": "Stored (partialSuccess lists rejected spans)."},
        400: {"description": "Not an OTLP trace export."},
        413: {"description": "Body over the size limit (after decompression)."},
        415: {"description": "Not application/x-protobuf or application/json."},
        429: {"description": "Write queue full; see Retry-After."},
    },
)
async def export_traces(request: Request, _principal: IngestKey) -> Response:
    """Takes ExportTraceServiceRequest as protobuf or OTLP JSON, with an ingest API key."""
    db = request.app.state.db
    runtime = request.app.state.tracing

    async def store(batch: SpanBatch) -> None:
        await store_spans(db, runtime, batch)

    return await export(
        request,
        TRACES,
        {Encoding.PROTOBUF: traces.decode_protobuf, Encoding.JSON: traces.decode_json},
        store,
        runtime.admission,
    )

"""POST /v1/traces: OTLP/HTTP in protobuf or JSON, plain or gzip (the middleware un-gzips)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from sentinel.ingest.auth import IngestKey
from sentinel.ingest.otlp import offload as otlp_offload
from sentinel.ingest.otlp import protocol, traces
from sentinel.ingest.otlp.protocol import (
    Encoding,
    IngestAdmission,
    OtlpReply,
    Overloaded,
    Signal,
)
from sentinel.ingest.otlp.values import OtlpFormatError
from sentinel.ingest.pool import IngestPool, IngestUnavailable
from sentinel.ingest.pool_worker import Decode, Decoded, Malformed, Write
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


Offload = Callable[[Encoding, bytes], Awaitable[Decoded]]


def pooled(
    pool: IngestPool, decode: Decode, write: Write, absorb: Callable[[Any], None]
) -> Offload:
    """An offload through the ingest pool; `absorb` takes the write's summary in this
    process (RED metrics, services seen)."""

    async def offload(encoding: Encoding, body: bytes) -> Decoded:
        stored = await pool.store(decode, write, encoding, body)
        if stored.summary:
            absorb(stored.summary)
        return stored.decoded

    return offload


async def export(
    request: Request,
    signal: Signal,
    decoders: dict[Encoding, Callable[[bytes], Any]],
    store: Callable[[Any], Awaitable[None]],
    admission: IngestAdmission,
    offload: Offload | None = None,
) -> Response:
    """The OTLP/HTTP export flow, the same for every signal: negotiate (415), admit (429),
    decode (400), store (committed before the answer), answer in the request's encoding
    with partialSuccess. Decoded batches need `rejected` and `problems`. With `offload`
    (the ingest pool), decoding and storing happen in an ingest process, which reports
    the rejected records."""
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
                if offload is not None:
                    decoded = await offload(encoding, body)
                    rejected, problems = decoded.rejected, decoded.problems
                else:
                    batch = decoders[encoding](body)
                    await store(batch)
                    rejected, problems = batch.rejected, batch.problems
            except (OtlpFormatError, Malformed) as exc:
                return _response(protocol.failure(encoding, 400, f"Malformed {signal.name}: {exc}"))
    except Overloaded as exc:
        return _response(
            protocol.failure(
                encoding, 429, "The write queue is full; retry later.", retry_after=exc.retry_after
            )
        )
    except IngestUnavailable as exc:
        return _response(
            protocol.failure(encoding, 503, f"Not stored ({exc}); retry later.", retry_after=1)
        )
    return _response(protocol.success(signal, encoding, rejected, problems))


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
        **protocol.NOT_STORED_RESPONSE,
    },
)
async def export_traces(request: Request, _principal: IngestKey) -> Response:
    """Takes ExportTraceServiceRequest as protobuf or OTLP JSON, with an ingest API key."""
    db = request.app.state.db
    runtime = request.app.state.tracing

    async def store(batch: SpanBatch) -> None:
        await store_spans(db, runtime, batch)

    pool: IngestPool | None = request.app.state.ingest_pool
    offload = None
    if pool is not None and not runtime.blocks:  # the block store writes in this process
        offload = pooled(
            pool, otlp_offload.decode_traces, otlp_offload.write_traces, runtime.red.add
        )
    return await export(
        request,
        TRACES,
        {Encoding.PROTOBUF: traces.decode_protobuf, Encoding.JSON: traces.decode_json},
        store,
        runtime.admission,
        offload,
    )

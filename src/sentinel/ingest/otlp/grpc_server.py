"""OTLP/gRPC TraceService/Export on SENTINEL_OTLP_GRPC_PORT, with the same ingest-key auth
(metadata `authorization: Bearer <key>` or `x-api-key`) and the same write path."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NoReturn

import grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from sentinel.api.errors import Problem
from sentinel.auth.roles import Permission
from sentinel.auth.service import AuthConfig, authenticate
from sentinel.ingest.otlp import traces
from sentinel.ingest.otlp.offload import decode_traces, write_traces
from sentinel.ingest.otlp.protocol import Encoding, IngestAdmission, Overloaded
from sentinel.ingest.otlp.routes import pooled
from sentinel.ingest.otlp.values import OtlpFormatError
from sentinel.ingest.pool import IngestPool, IngestUnavailable
from sentinel.ingest.pool_worker import Malformed
from sentinel.storage.engine import Database
from sentinel.tracing.ingest import store_spans
from sentinel.tracing.runtime import TracingRuntime

log = logging.getLogger("sentinel.otlp.grpc")


def _credential(context: Any) -> str | None:
    for key, value in context.invocation_metadata() or ():
        if key == "authorization" and value.lower().startswith("bearer "):
            return str(value[7:].strip())
        if key == "x-api-key":
            return str(value.strip())
    return None


async def _abort(context: Any, code: grpc.StatusCode, message: str) -> NoReturn:
    await context.abort(code, message)
    raise RuntimeError("the gRPC call was not aborted")  # abort() raises


async def ingest_call(
    context: Any,
    db: Database,
    auth: AuthConfig,
    admission: IngestAdmission,
    store: Callable[[bytes], Awaitable[tuple[int, list[str]]]],
    request: bytes,
) -> tuple[int, list[str]]:
    """An Export call of any signal: the ingest key from the metadata, admission, then
    `store` (decode and commit), each failure as the OTLP status exporters act on.
    Returns the rejected records and their problems."""
    credential = _credential(context)
    if not credential:
        await _abort(context, grpc.StatusCode.UNAUTHENTICATED, "send authorization: Bearer <key>")
    try:
        async with db.transaction() as session:
            principal = await authenticate(session, auth, credential)
    except Problem as exc:
        await _abort(context, grpc.StatusCode.UNAUTHENTICATED, exc.detail)
    if not principal.can(Permission.INGEST):
        await _abort(context, grpc.StatusCode.PERMISSION_DENIED, "the key cannot ingest")
    try:
        with admission.admit():
            return await store(request)
    except (OtlpFormatError, Malformed) as exc:
        await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, str(exc))
    except Overloaded:
        # UNAVAILABLE is the retryable code OTLP exporters back off on.
        await _abort(context, grpc.StatusCode.UNAVAILABLE, "the write queue is full")
    except IngestUnavailable as exc:
        await _abort(context, grpc.StatusCode.UNAVAILABLE, f"not stored ({exc})")


class TraceService:
    """TraceService/Export. Requests arrive as raw bytes (see `start`), so they take the
    same shallow decoding as OTLP/HTTP instead of a full Python message tree."""

    def __init__(
        self, db: Database, auth: AuthConfig, runtime: TracingRuntime, pool: IngestPool | None
    ) -> None:
        self.db, self.auth, self.runtime = db, auth, runtime
        # The ingest pool decodes and writes, as for OTLP/HTTP (not with the block store).
        self.pool = pool if not runtime.blocks else None

    async def export(self, request: bytes, context: Any) -> ExportTraceServiceResponse:
        rejected, problems = await ingest_call(
            context, self.db, self.auth, self.runtime.admission, self._store, request
        )
        response = ExportTraceServiceResponse()
        if rejected:
            response.partial_success.rejected_spans = rejected
            response.partial_success.error_message = "; ".join(problems)
        return response

    async def _store(self, request: bytes) -> tuple[int, list[str]]:
        """Decode and store; the rejected spans and their problems."""
        if self.pool is not None:
            offload = pooled(self.pool, decode_traces, write_traces, self.runtime.red.add)
            decoded = await offload(Encoding.PROTOBUF, request)
            return decoded.rejected, decoded.problems
        batch = traces.decode_protobuf(request)
        await store_spans(self.db, self.runtime, batch)
        return batch.rejected, batch.problems


def add_export(
    server: Any,
    service: str,
    export: Callable[[bytes, Any], Awaitable[Any]],
    response_type: Any,
) -> None:
    """Serve `opentelemetry.proto.collector.<service>/Export` with `export`, which gets the
    request as raw bytes (decoded like OTLP/HTTP, or whole by an ingest process)."""
    handler = grpc.method_handlers_generic_handler(
        f"opentelemetry.proto.collector.{service}",
        {
            "Export": grpc.unary_unary_rpc_method_handler(
                export,
                request_deserializer=None,  # raw bytes
                response_serializer=response_type.SerializeToString,
            )
        },
    )
    server.add_generic_rpc_handlers((handler,))


async def start(
    db: Database,
    auth: AuthConfig,
    runtime: TracingRuntime,
    host: str,
    port: int,
    max_bytes: int,
    add_services: Sequence[Callable[[Any], None]] = (),
    pool: IngestPool | None = None,
) -> Any:
    """Start the gRPC server; returns it (call `stop(grace)` on shutdown).

    `add_services` lets other signals (logs) add their servicers to the same server."""
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", max_bytes),
            ("grpc.max_send_message_length", 4 * 1024 * 1024),
        ]
    )
    service = TraceService(db, auth, runtime, pool)
    add_export(server, "trace.v1.TraceService", service.export, ExportTraceServiceResponse)
    for add in add_services:
        add(server)
    bound = server.add_insecure_port(f"{host}:{port}")
    if not bound:
        raise RuntimeError(f"cannot listen for OTLP/gRPC on {host}:{port}")
    await server.start()
    log.info("OTLP/gRPC listening on %s:%s", host, port)
    return server

"""OTLP/gRPC TraceService/Export on SENTINEL_OTLP_GRPC_PORT, with the same ingest-key auth
(metadata `authorization: Bearer <key>` or `x-api-key`) and the same write path."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from sentinel.api.errors import Problem
from sentinel.auth.roles import Permission
from sentinel.auth.service import AuthConfig, authenticate
from sentinel.ingest.otlp import offload, traces
from sentinel.ingest.otlp.protocol import Encoding, Overloaded
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
        credential = _credential(context)
        if not credential:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "send authorization: Bearer <key>")
        try:
            async with self.db.transaction() as session:
                principal = await authenticate(session, self.auth, credential or "")
        except Problem as exc:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, exc.detail)
        if not principal.can(Permission.INGEST):
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, "the key cannot ingest")
        try:
            with self.runtime.admission.admit():
                rejected, problems = await self._store(request)
        except (OtlpFormatError, Malformed) as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except Overloaded:
            # UNAVAILABLE is the retryable code OTLP exporters back off on.
            await context.abort(grpc.StatusCode.UNAVAILABLE, "the write queue is full")
        except IngestUnavailable as exc:
            await context.abort(grpc.StatusCode.UNAVAILABLE, f"not stored ({exc})")
        response = ExportTraceServiceResponse()
        if rejected:
            response.partial_success.rejected_spans = rejected
            response.partial_success.error_message = "; ".join(problems)
        return response

    async def _store(self, request: bytes) -> tuple[int, list[str]]:
        """Decode and store; the rejected spans and their problems."""
        if self.pool is not None:
            stored = await self.pool.store(
                offload.decode_traces, offload.write_traces, Encoding.PROTOBUF, request
            )
            if stored.summary:
                self.runtime.red.add(stored.summary)
            return stored.decoded.rejected, stored.decoded.problems
        batch = traces.decode_protobuf(request)
        await store_spans(self.db, self.runtime, batch)
        return batch.rejected, batch.problems


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
    handler = grpc.method_handlers_generic_handler(
        "opentelemetry.proto.collector.trace.v1.TraceService",
        {
            "Export": grpc.unary_unary_rpc_method_handler(
                service.export,
                request_deserializer=None,  # raw bytes
                response_serializer=ExportTraceServiceResponse.SerializeToString,
            )
        },
    )
    server.add_generic_rpc_handlers((handler,))
    for add in add_services:
        add(server)
    bound = server.add_insecure_port(f"{host}:{port}")
    if not bound:
        raise RuntimeError(f"cannot listen for OTLP/gRPC on {host}:{port}")
    await server.start()
    log.info("OTLP/gRPC listening on %s:%s", host, port)
    return server

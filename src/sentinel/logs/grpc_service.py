"""OTLP/gRPC LogsService/Export, on the tracing domain's gRPC server (same port, same
ingest-key auth in metadata, same write path and limits as POST /v1/logs). Requests
arrive as raw bytes, as for traces, so the ingest pool can take them whole."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse

from sentinel.auth.service import AuthConfig
from sentinel.ingest.otlp import logs as otlp_logs
from sentinel.ingest.otlp.grpc_server import add_export, ingest_call
from sentinel.ingest.otlp.offload import decode_logs_grpc, write_logs
from sentinel.ingest.otlp.protocol import Encoding
from sentinel.ingest.otlp.routes import pooled
from sentinel.ingest.pool import IngestPool
from sentinel.logs.ingest import store_logs
from sentinel.logs.runtime import LogsRuntime
from sentinel.storage.engine import Database


class LogsService:
    def __init__(
        self, db: Database, auth: AuthConfig, runtime: LogsRuntime, pool: IngestPool | None
    ) -> None:
        self.db, self.auth, self.runtime, self.pool = db, auth, runtime, pool

    async def export(self, request: bytes, context: Any) -> ExportLogsServiceResponse:
        rejected, problems = await ingest_call(
            context, self.db, self.auth, self.runtime.admission, self._store, request
        )
        response = ExportLogsServiceResponse()
        if rejected or problems:
            response.partial_success.rejected_log_records = rejected
            response.partial_success.error_message = "; ".join(problems)
        return response

    async def _store(self, request: bytes) -> tuple[int, list[str]]:
        """Decode and store; the rejected records and the problems (with lines cut)."""
        if self.pool is not None:
            offload = pooled(self.pool, decode_logs_grpc, write_logs, self.runtime.saw)
            decoded = await offload(Encoding.PROTOBUF, request)
            return decoded.rejected, decoded.problems
        batch = otlp_logs.decode_protobuf(request)
        await store_logs(self.db, self.runtime, batch)
        return batch.rejected, batch.messages()


def servicer_adder(app: FastAPI) -> Any:
    """A callable that adds LogsService to the gRPC server when the lifespan starts it
    (the database, auth config and ingest pool exist by then)."""

    def add(server: Any) -> None:
        service = LogsService(
            app.state.db, app.state.auth, app.state.logs, getattr(app.state, "ingest_pool", None)
        )
        add_export(server, "logs.v1.LogsService", service.export, ExportLogsServiceResponse)

    return add

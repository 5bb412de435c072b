"""OTLP/gRPC LogsService/Export, on the tracing domain's gRPC server (same port, same
ingest-key auth in metadata, same write path and limits as POST /v1/logs)."""

from __future__ import annotations

from typing import Any

import grpc
from fastapi import FastAPI
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2_grpc
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)

from sentinel.api.errors import Problem
from sentinel.auth.roles import Permission
from sentinel.auth.service import AuthConfig, authenticate
from sentinel.ingest.otlp import logs as otlp_logs
from sentinel.ingest.otlp.grpc_server import _credential
from sentinel.ingest.otlp.protocol import Overloaded
from sentinel.logs.ingest import store_logs
from sentinel.logs.runtime import LogsRuntime
from sentinel.storage.engine import Database


class LogsService(logs_service_pb2_grpc.LogsServiceServicer):
    def __init__(self, db: Database, auth: AuthConfig, runtime: LogsRuntime) -> None:
        self.db, self.auth, self.runtime = db, auth, runtime

    async def Export(  # noqa: N802 - the gRPC method name
        self, request: ExportLogsServiceRequest, context: Any
    ) -> ExportLogsServiceResponse:
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
                batch = otlp_logs.from_message(request)
                await store_logs(self.db, self.runtime, batch)
        except Overloaded:
            # UNAVAILABLE is the retryable code OTLP exporters back off on.
            await context.abort(grpc.StatusCode.UNAVAILABLE, "the write queue is full")
        response = ExportLogsServiceResponse()
        if batch.rejected or batch.problems:
            response.partial_success.rejected_log_records = batch.rejected
            response.partial_success.error_message = "; ".join(batch.messages())
        return response


def servicer_adder(app: FastAPI) -> Any:
    """A callable that adds LogsService to the gRPC server when the lifespan starts it
    (the database and auth config exist by then)."""

    def add(server: Any) -> None:
        logs_service_pb2_grpc.add_LogsServiceServicer_to_server(  # type: ignore[no-untyped-call]
            LogsService(app.state.db, app.state.auth, app.state.logs), server
        )

    return add

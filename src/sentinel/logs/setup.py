"""How the log domain plugs into the app: routers, per-app state, worker tasks."""

from __future__ import annotations

from fastapi import FastAPI

from sentinel.config import Settings
from sentinel.logs import grpc_service, ingest_routes, routes, tasks
from sentinel.logs.runtime import LogsRuntime
from sentinel.worker.registry import JobRegistry


def install(app: FastAPI, settings: Settings) -> None:
    app.state.logs = LogsRuntime.build(settings)
    # OTLP/gRPC LogsService rides on the tracing domain's gRPC server, when it runs.
    app.state.grpc_services = [
        *getattr(app.state, "grpc_services", ()),
        grpc_service.servicer_adder(app),
    ]
    app.include_router(ingest_routes.router)
    app.include_router(routes.router)


def register(registry: JobRegistry) -> None:
    tasks.register(registry)

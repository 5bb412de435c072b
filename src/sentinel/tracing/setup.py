"""How the tracing domain plugs into the app: routers, per-app state, background servers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from sentinel.config import Settings
from sentinel.ingest.otlp import routes as otlp_routes
from sentinel.tracing import jaeger_routes
from sentinel.tracing import routes as tracing_routes
from sentinel.tracing.runtime import TracingRuntime


def install(app: FastAPI, settings: Settings, registry: CollectorRegistry) -> None:
    app.state.tracing = TracingRuntime.build(settings, registry)
    app.include_router(otlp_routes.router)
    app.include_router(tracing_routes.router)
    app.include_router(jaeger_routes.router)


async def start_background(app: FastAPI) -> Callable[[], Awaitable[None]]:
    """Start what runs beside the HTTP server (OTLP/gRPC when a port is configured);
    returns the matching stop function."""
    settings: Settings = app.state.settings
    if settings.otlp_grpc_port is None:

        async def nothing() -> None:
            return None

        return nothing
    from sentinel.ingest.otlp import grpc_server

    server = await grpc_server.start(
        app.state.db,
        app.state.auth,
        app.state.tracing,
        settings.otlp_grpc_host or settings.host,
        settings.otlp_grpc_port,
        settings.max_body_bytes,
        getattr(app.state, "grpc_services", ()),
        getattr(app.state, "ingest_pool", None),
    )

    async def stop() -> None:
        await server.stop(5)

    return stop

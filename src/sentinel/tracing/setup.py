"""How the tracing domain plugs into the app: routers, per-app state, background servers."""

from __future__ import annotations

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

"""create_app(settings) -> FastAPI: routers, middleware, lifespan. Nothing happens at import."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from prometheus_client import (
    GC_COLLECTOR,
    CollectorRegistry,
    PlatformCollector,
    ProcessCollector,
)

from sentinel import __version__
from sentinel.alerting import routes as alerting_routes
from sentinel.alerting import rule_routes as alerting_rule_routes
from sentinel.alerting import settings_routes as alerting_settings_routes
from sentinel.alerting import tasks as alerting_tasks
from sentinel.alerting import webhook as alerting_webhook
from sentinel.api.errors import install_error_handlers
from sentinel.api.middleware import HttpMetrics, RequestContextMiddleware
from sentinel.auth import routes as auth_routes
from sentinel.auth.bootstrap import BootstrapResult, bootstrap
from sentinel.auth.service import AuthConfig
from sentinel.config import Settings
from sentinel.incidents import policy_routes as incident_policy_routes
from sentinel.incidents import routes as incident_routes
from sentinel.incidents import runbook_routes as incident_runbook_routes
from sentinel.incidents import setup as incidents_setup
from sentinel.incidents import tasks as incident_tasks
from sentinel.ingest.alertmanager import routes as alertmanager_routes
from sentinel.ingest.pagerduty import routes as pagerduty_routes
from sentinel.ingest.pool import CHECKPOINT_SECONDS, IngestPool
from sentinel.logs import setup as logs_setup
from sentinel.notify import routes as notify_routes
from sentinel.oncall import policy_routes as oncall_policy_routes
from sentinel.oncall import routes as oncall_routes
from sentinel.oncall import tasks as oncall_tasks
from sentinel.slo import routes as slo_routes
from sentinel.slo import tasks as slo_tasks
from sentinel.storage import migrate
from sentinel.storage.engine import Database, sqlite_path
from sentinel.system import routes as system_routes
from sentinel.tracing import setup as tracing_setup
from sentinel.tracing import tasks as tracing_tasks
from sentinel.web import serve as web_serve
from sentinel.worker import tasks as worker_tasks
from sentinel.worker.loop import WorkerLoop
from sentinel.worker.registry import JobRegistry

log = logging.getLogger("sentinel")


def build_registry() -> JobRegistry:
    """Every domain adds its job handlers and periodic tasks here."""
    registry = JobRegistry()
    worker_tasks.register(registry)
    tracing_tasks.register(registry)
    alerting_tasks.register(registry)
    logs_setup.register(registry)
    slo_tasks.register(registry)
    oncall_tasks.register(registry)
    incident_tasks.register(registry)
    return registry


def announce(result: BootstrapResult, settings: Settings) -> None:
    """Print first-start credentials once, to stdout only (never to the log)."""
    if not result.created_anything:
        return
    lines = ["", "=" * 72, "Sentinel first start: created the first admin and an ingest API key."]
    if result.admin_email:
        lines.append(f"  admin login:    {result.admin_email}")
        lines.append(
            f"  admin password: {result.admin_password}"
            if result.admin_password
            else "  admin password: (from SENTINEL_BOOTSTRAP_ADMIN_PASSWORD)"
        )
    if result.api_key:
        lines.append(f"  ingest API key: {result.api_key}")
    elif result.api_key_preset:
        lines.append("  ingest API key: (from SENTINEL_BOOTSTRAP_API_KEY)")
    lines += ["These are shown only now. Store them somewhere safe.", "=" * 72, ""]
    print("\n".join(lines), flush=True)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    metrics_registry = CollectorRegistry()
    ProcessCollector(registry=metrics_registry)
    PlatformCollector(registry=metrics_registry)
    metrics_registry.register(GC_COLLECTOR)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.database_url, settings.db_pool_size)
        app.state.db = db
        app.state.auth = AuthConfig(
            jwt_secret=settings.jwt_secret(), jwt_ttl=timedelta(minutes=settings.jwt_ttl_minutes)
        )
        if settings.migrate_on_start:
            await migrate.upgrade(db)
        async with db.transaction() as session:
            result = await bootstrap(session, settings)
        announce(result, settings)
        if settings.ingest_pool_size:
            # Its processes write with SQLite's automatic checkpoint off, and so does this
            # one: a thread checkpoints beside the writers (storage/checkpointer.py).
            await db.checkpoint_aside(CHECKPOINT_SECONDS)
        app.state.ingest_pool = None
        if settings.ingest_pool_size:
            app.state.ingest_pool = IngestPool(
                sqlite_path(settings.database_url), settings.ingest_pool_size, db.write_gate
            )
            app.state.ingest_pool.start()
        stop = asyncio.Event()
        worker_task = None
        app.state.worker = None
        if settings.worker_enabled:
            app.state.worker = WorkerLoop(
                db, build_registry(), settings, ingest_pool=app.state.ingest_pool
            )
            worker_task = asyncio.create_task(app.state.worker.run_forever(stop))
        stop_tracing = await tracing_setup.start_background(app)
        stop_incidents = await incidents_setup.start_background(app)
        # What startup built lives as long as the process: out of the collector's sight,
        # a full collection scans only what requests allocate (it had paused a request for
        # up to 100 ms: SQLAlchemy, Pydantic and the routes are hundreds of thousands of
        # objects). Unfrozen at shutdown, so a process that builds many apps (the tests)
        # can still collect the cycles of the ones it is done with.
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            await stop_incidents()
            await stop_tracing()
            if app.state.ingest_pool is not None:
                await app.state.ingest_pool.stop()
            stop.set()
            if worker_task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(worker_task, timeout=10)
            await db.dispose()

    app = FastAPI(
        title="Sentinel",
        version=__version__,
        description="Observability and incident response: distributed tracing, logs, alerting, "
        "on-call, incidents and SLOs in one service.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics_registry = metrics_registry
    app.state.started_monotonic = time.monotonic()
    app.state.worker = None
    install_error_handlers(app)
    app.include_router(system_routes.router)
    app.include_router(auth_routes.router)
    for router in (
        alerting_routes.router,
        alerting_settings_routes.router,
        alerting_rule_routes.router,
        alerting_webhook.router,
        alertmanager_routes.router,
        pagerduty_routes.router,
        slo_routes.router,
        incident_routes.router,
        incident_policy_routes.router,
        incident_runbook_routes.router,
        oncall_routes.router,
        oncall_policy_routes.router,
        notify_routes.router,
    ):
        app.include_router(router)
    tracing_setup.install(app, settings, metrics_registry)
    logs_setup.install(app, settings)
    web_serve.install(app, settings.web_dir)  # last: its 404 handler wraps the API's
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_inflight_body_bytes=settings.max_inflight_body_bytes,
        metrics=HttpMetrics(metrics_registry),
    )
    return app

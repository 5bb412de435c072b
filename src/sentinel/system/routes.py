"""GET /health, /suite-info and /metrics."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import time
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from sentinel import __version__
from sentinel.api.deps import (
    AuthConfigDep,
    CredentialDep,
    SessionDep,
    SettingsDep,
    get_database,
)
from sentinel.api.errors import Forbidden, Unauthorized
from sentinel.auth.roles import Permission
from sentinel.auth.service import authenticate
from sentinel.storage.engine import Database
from sentinel.worker import store as worker_store

router = APIRouter(tags=["service"])
WORKER_STALE_AFTER_SECONDS = 30.0


def _resources(started: float) -> dict[str, Any]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rss = None
    try:
        with open("/proc/self/statm") as statm:
            rss = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        rss = usage.ru_maxrss * 1024
    return {
        "rss_bytes": rss,
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
        "uptime_seconds": round(time.monotonic() - started, 1),
        "pid": os.getpid(),
        "load_average": list(os.getloadavg()),
    }


@router.get("/health", summary="Service health")
async def health(
    request: Request,
    settings: SettingsDep,
    db: Annotated[Database, Depends(get_database)],
) -> JSONResponse:
    """Database round trip, worker heartbeat age, integrations, resources. 503 when the
    database cannot be reached."""
    body: dict[str, Any] = {
        "status": "ok",
        "version": __version__,
        "service": settings.service_name,
    }
    status_code = 200
    try:
        latency = await asyncio.wait_for(db.ping(), timeout=3)
        body["database"] = {"status": "ok", "dialect": db.dialect, "latency_ms": round(latency, 2)}
        async with db.transaction() as session:
            last_seen = await worker_store.latest_heartbeat(session)
            jobs = await worker_store.job_counts(session)
        age = (datetime.now(UTC) - last_seen).total_seconds() if last_seen else None
        worker_ok = age is not None and age < WORKER_STALE_AFTER_SECONDS
        body["worker"] = {
            "status": "ok" if worker_ok else "stale",
            "last_heartbeat_age_seconds": None if age is None else round(age, 1),
            "runs_in_this_process": request.app.state.worker is not None,
            "jobs": jobs,
        }
        if not worker_ok:
            body["status"] = "degraded"
    except Exception as exc:
        body["status"] = "unavailable"
        body["database"] = {
            "status": "unreachable",
            "dialect": db.dialect,
            "error": type(exc).__name__,
        }
        status_code = 503
    body["integrations"] = {
        name: {"configured": url is not None, "url": url}
        for name, url in (
            ("enterprise_hub", settings.enterprise_hub_url),
            ("ninja", settings.ninja_url),
            ("license_server", settings.license_server_url),
        )
    }
    body["resources"] = _resources(request.app.state.started_monotonic)
    pool = getattr(request.app.state, "ingest_pool", None)
    if pool is not None:
        body["ingest_processes"] = pool.status()
    headers = {"Retry-After": "5"} if status_code == 503 else None
    return JSONResponse(body, status_code=status_code, headers=headers)


@router.get("/suite-info", summary="What this service is")
async def suite_info(settings: SettingsDep) -> dict[str, Any]:
    return {
        "name": "Sentinel",
        "service_name": settings.service_name,
        "version": settings.service_version,
        "description": "Observability and incident response: tracing, logs, alerting, "
        "on-call, incidents and SLOs.",
        "port": settings.port,
        "storage": "sqlite" if settings.is_sqlite else "postgresql",
        "endpoints": {
            "api_docs": "/docs",
            "openapi": "/openapi.json",
            "health": "/health",
            "metrics": "/metrics",
        },
        "integrations": {
            "enterprise_hub_url": settings.enterprise_hub_url,
            "ninja_url": settings.ninja_url,
            "license_server_url": settings.license_server_url,
        },
    }


async def _metrics_guard(
    settings: SettingsDep, session: SessionDep, config: AuthConfigDep, credential: CredentialDep
) -> None:
    """/metrics is public unless SENTINEL_METRICS_PUBLIC=false; then it needs `read`."""
    if settings.metrics_public:
        return
    if not credential:
        raise Unauthorized("Metrics need 'Authorization: Bearer <token or API key>' here.")
    principal = await authenticate(session, config, credential)
    if not principal.can(Permission.READ):
        raise Forbidden("Reading metrics needs the 'read' permission.")


class WorkerGauges:
    """The background loop's health, refreshed from the database at each scrape, so that
    Prometheus can alert on a stalled worker or a growing queue."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.heartbeat_age = Gauge(
            "sentinel_worker_heartbeat_age_seconds",
            "Seconds since the most recent heartbeat of any worker loop (-1: never).",
            registry=registry,
        )
        self.jobs = Gauge(
            "sentinel_jobs", "Background jobs by status.", ["status"], registry=registry
        )

    async def refresh(self, db: Database) -> None:
        async with db.transaction() as session:
            last_seen = await worker_store.latest_heartbeat(session)
            counts = await worker_store.job_counts(session)
        age = (datetime.now(UTC) - last_seen).total_seconds() if last_seen else -1.0
        self.heartbeat_age.set(age)
        for status in ("pending", "running", "done", "failed"):
            self.jobs.labels(status).set(counts.get(status, 0))


@router.get("/metrics", summary="Prometheus metrics", dependencies=[Depends(_metrics_guard)])
async def metrics(request: Request, db: Annotated[Database, Depends(get_database)]) -> Response:
    registry: CollectorRegistry = request.app.state.metrics_registry
    gauges: WorkerGauges | None = getattr(request.app.state, "worker_gauges", None)
    if gauges is None:
        gauges = request.app.state.worker_gauges = WorkerGauges(registry)
    with contextlib.suppress(Exception):  # a database outage must not hide the other metrics
        await gauges.refresh(db)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

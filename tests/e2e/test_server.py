"""The real server process: health, login, auth over the wire, logs, the worker."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select

from sentinel.storage.engine import Database
from sentinel.worker.models import Job, WorkerHeartbeat
from tests.e2e.conftest import LiveServer


def wait_for(predicate: object, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_real_server_serves_health_docs_metrics_and_auth(live_server: LiveServer) -> None:
    health = httpx.get(f"{live_server.url}/health").json()
    assert health["database"]["status"] == "ok"
    assert httpx.get(f"{live_server.url}/docs").status_code == 200
    openapi = httpx.get(f"{live_server.url}/openapi.json").json()
    assert "/api/auth/login" in openapi["paths"]
    headers = live_server.admin_headers()
    me = httpx.get(f"{live_server.url}/api/auth/me", headers=headers)
    assert me.json()["role"] == "admin"
    assert httpx.get(f"{live_server.url}/api/auth/me").status_code == 401
    metrics = httpx.get(f"{live_server.url}/metrics").text
    assert (
        'sentinel_http_requests_total{method="GET",route="/api/auth/me",status="200"} 1.0'
        in metrics
    )


def test_the_serve_process_runs_the_worker_loop(live_server: LiveServer) -> None:
    def worker_ok() -> bool:
        worker = httpx.get(f"{live_server.url}/health").json()["worker"]
        return bool(worker["status"] == "ok" and worker["runs_in_this_process"])

    assert wait_for(worker_ok), httpx.get(f"{live_server.url}/health").text
    assert httpx.get(f"{live_server.url}/health").json()["status"] == "ok"


def test_access_logs_are_json_lines_with_the_request_id(live_server: LiveServer) -> None:
    response = httpx.get(f"{live_server.url}/api/users", headers={"x-request-id": "trace-me-42"})
    assert response.status_code == 401

    def logged() -> bool:
        return "trace-me-42" in live_server.log()

    assert wait_for(logged, 5)
    lines = [json.loads(line) for line in live_server.log().splitlines() if "trace-me-42" in line]
    access = next(line for line in lines if line["logger"] == "sentinel.access")
    assert access["request_id"] == "trace-me-42"
    assert access["status"] == 401 and access["route"] == "/api/users"
    assert access["level"] == "INFO" and "time" in access


async def purge_done(database_url: str) -> bool:
    db = Database(database_url)
    try:
        async with db.transaction() as session:
            done = await session.scalar(
                select(func.count())
                .select_from(Job)
                .where(Job.kind == "periodic.worker.purge", Job.status == "done")
            )
            beat = await session.scalar(select(func.count()).select_from(WorkerHeartbeat))
        return bool(done == 1 and beat)
    finally:
        await db.dispose()


def test_sentinel_worker_runs_alone_and_stops_cleanly(database_url: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SENTINEL_DATABASE_URL": database_url,
        "SENTINEL_DATA_DIR": str(tmp_path),
        "SENTINEL_WORKER_POLL_SECONDS": "0.1",
    }
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "sentinel", "worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        assert wait_for(lambda: "worker started" in log_path.read_text(), 20), log_path.read_text()
        # Its hourly housekeeping job ran, and its heartbeat is in the database.
        assert wait_for(lambda: asyncio.run(purge_done(database_url)), 20), log_path.read_text()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    assert "worker stopped" in log_path.read_text()

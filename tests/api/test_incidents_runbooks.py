"""Runbook steps against a real loopback HTTP server: templating, secrets, dry run,
approval, timeout and template errors, each on the timeline (both databases)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest
from sqlalchemy import select

from sentinel.config import Settings
from sentinel.incidents.automation import AUTO_RUNBOOKS_JOB, consume_alert_events
from sentinel.incidents.config import IncidentSettings
from sentinel.incidents.tasks import auto_run_runbooks
from sentinel.storage.engine import Database
from sentinel.worker.models import Job
from sentinel.worker.registry import JobContext
from tests.conftest import UserFactory

H = dict[str, str]
SECRET = "s3cret-token-value"


class Recorder(BaseHTTPRequestHandler):
    calls: ClassVar[list[dict[str, Any]]] = []
    arrived: ClassVar[threading.Event] = threading.Event()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        Recorder.arrived.set()
        if self.path.startswith("/slow"):
            time.sleep(2)
        Recorder.calls.append({"path": self.path, "headers": dict(self.headers), "body": body})
        payload = json.dumps({"ok": True, "echo": self.headers.get("Authorization")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def loopback() -> Iterator[str]:
    yield from recorder_server()


def recorder_server() -> Iterator[str]:
    """A loopback HTTP server recording the calls in Recorder.calls; yields its URL."""
    Recorder.calls = []
    Recorder.arrived.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    # server_close() joins the handler threads, so a slow call left over from this test
    # cannot land in the next test's Recorder.calls.
    server.daemon_threads = False
    server.block_on_close = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def runbook(base: str) -> dict[str, Any]:
    return {
        "name": "payments-recovery",
        "markdown": "# Payments\n1. Restart the pod.\n2. Drain the node if it recurs.",
        "services": ["payments"],
        "steps": [
            {
                "name": "restart",
                "url": base + "/restart/{{ alert.labels.instance | urlencode }}",
                "headers": {"X-Incident": "{{ incident.id }}"},
                "secret_headers": {"Authorization": f"Bearer {SECRET}"},
                "body": {"service": "{{ incident.service }}", "why": "{{ incident.title }}"},
            },
            {"name": "drain", "url": base + "/drain", "requires_approval": True},
            {"name": "slow", "url": base + "/slow", "timeout_s": 0.5},
            {"name": "broken", "url": base + "/x/{{ incident.owner }}"},
        ],
    }


async def test_runbook_steps_on_an_incident(
    client: httpx.AsyncClient,
    admin_headers: H,
    ingest_headers: H,
    login_as: UserFactory,
    loopback: str,
) -> None:
    r = await client.post("/api/runbooks", json=runbook(loopback), headers=admin_headers)
    assert r.status_code == 201, r.text
    rb = r.json()
    assert rb["steps"][0]["secret_headers"] == {"Authorization": "***"}
    alert = {
        "service_name": "payments",
        "alert_name": "payments_5xx",
        "severity": "critical",
        "labels": {"instance": "pay-1:8080"},
    }
    alert_id = (await client.post("/api/alerts", json=alert, headers=ingest_headers)).json()["id"]
    inc = (
        await client.post(
            "/api/incidents",
            json={"title": "Payments down", "alert_ids": [alert_id]},
            headers=admin_headers,
        )
    ).json()
    iid = inc["id"]
    shown = (await client.get(f"/api/incidents/{iid}/runbooks", headers=admin_headers)).json()
    assert [b["name"] for b in shown] == ["payments-recovery"]
    assert "Restart the pod" in shown[0]["markdown"]
    responder = await login_as("responder")
    viewer = await login_as("viewer")
    base = f"/api/incidents/{iid}/runbooks/{rb['id']}/steps"

    dry = await client.post(f"{base}/restart/run", json={"dry_run": True}, headers=responder)
    assert dry.status_code == 201 and dry.json()["status"] == "dry_run"
    request = dry.json()["request"]
    assert request["url"] == f"{loopback}/restart/pay-1%3A8080"
    assert request["headers"] == {"X-Incident": str(iid), "Authorization": "***"}
    assert request["body"] == {"service": "payments", "why": "Payments down"}
    assert Recorder.calls == []

    done = await client.post(f"{base}/restart/run", json={}, headers=responder)
    assert done.status_code == 201 and done.json()["status"] == "succeeded", done.text
    assert done.json()["response_status"] == 200
    assert (
        SECRET not in done.json()["response_excerpt"] and "***" in done.json()["response_excerpt"]
    )
    call = Recorder.calls[0]
    assert call["path"] == "/restart/pay-1%3A8080"
    assert call["headers"]["Authorization"] == f"Bearer {SECRET}"
    assert json.loads(call["body"]) == {"service": "payments", "why": "Payments down"}

    parked = await client.post(f"{base}/drain/run", json={}, headers=responder)
    assert parked.json()["status"] == "pending_approval" and len(Recorder.calls) == 1
    run_id = parked.json()["id"]
    approve = f"/api/incidents/{iid}/runbook-runs/{run_id}/approve"
    assert (await client.post(approve, headers=viewer)).status_code == 403
    approved = await client.post(approve, headers=admin_headers)
    assert approved.json()["status"] == "succeeded"
    assert approved.json()["approved_by"] == "admin@example.com"
    assert [c["path"] for c in Recorder.calls] == ["/restart/pay-1%3A8080", "/drain"]
    assert (await client.post(approve, headers=admin_headers)).status_code == 409

    slow = await client.post(f"{base}/slow/run", json={}, headers=responder)
    assert slow.json()["status"] == "timed_out" and "0.5 s" in slow.json()["error"]

    broken = await client.post(f"{base}/broken/run", json={}, headers=responder)
    assert broken.status_code == 422
    assert broken.headers["content-type"] == "application/problem+json"
    assert "no field 'owner'" in broken.json()["detail"]
    missing = await client.post(f"{base}/nope/run", json={}, headers=responder)
    assert missing.status_code == 404

    timeline = (await client.get(f"/api/incidents/{iid}/timeline", headers=admin_headers)).json()[
        "items"
    ]
    runbook_lines = [e["message"] for e in timeline if e["kind"] == "runbook"]
    assert len(runbook_lines) == 7, runbook_lines
    assert "dry run: POST" in runbook_lines[0]
    assert "'restart' succeeded: HTTP 200" in runbook_lines[1]
    assert "awaits approval" in runbook_lines[2] and "approved" in runbook_lines[3]
    assert "'drain' succeeded" in runbook_lines[4]
    assert "timed out" in runbook_lines[5] and "cannot run" in runbook_lines[6]
    runs = (await client.get(f"/api/incidents/{iid}/runbook-runs", headers=admin_headers)).json()
    assert [r["status"] for r in runs] == [
        "dry_run",
        "succeeded",
        "succeeded",
        "timed_out",
        "failed",
    ]
    everything = json.dumps(
        [
            timeline,
            runs,
            (await client.get(f"/api/runbooks/{rb['id']}", headers=admin_headers)).json(),
        ]
    )
    assert SECRET not in everything


async def test_runbook_crud_and_secret_kept_on_update(
    client: httpx.AsyncClient, admin_headers: H, login_as: UserFactory, loopback: str
) -> None:
    body = runbook(loopback)
    rb = (await client.post("/api/runbooks", json=body, headers=admin_headers)).json()
    assert (await client.post("/api/runbooks", json=body, headers=admin_headers)).status_code == 409
    body["steps"][0]["secret_headers"] = {"Authorization": "***"}
    body["markdown"] = "changed"
    r = await client.put(f"/api/runbooks/{rb['id']}", json=body, headers=admin_headers)
    assert r.status_code == 200 and r.json()["steps"][0]["secret_headers"] == {
        "Authorization": "***"
    }
    body["steps"][1]["secret_headers"] = {"X-Token": "***"}
    r = await client.put(f"/api/runbooks/{rb['id']}", json=body, headers=admin_headers)
    assert r.status_code == 400 and "no stored value" in r.json()["detail"]
    responder = await login_as("responder")
    assert (await client.post("/api/runbooks", json=body, headers=responder)).status_code == 403
    assert (await client.get("/api/runbooks")).status_code == 401
    dup = {**body, "name": "dup", "steps": [body["steps"][1], body["steps"][1]]}
    assert (await client.post("/api/runbooks", json=dup, headers=admin_headers)).status_code == 422
    assert (
        await client.delete(f"/api/runbooks/{rb['id']}", headers=admin_headers)
    ).status_code == 204
    assert (await client.get(f"/api/runbooks/{rb['id']}", headers=admin_headers)).status_code == 404


async def test_a_slow_step_does_not_hold_up_other_changes(
    client: httpx.AsyncClient, admin_headers: H, loopback: str
) -> None:
    body = {
        "name": "slow",
        "services": ["db"],
        "steps": [{"name": "wait", "url": loopback + "/slow"}],
    }
    rb = (await client.post("/api/runbooks", json=body, headers=admin_headers)).json()
    inc = (
        await client.post(
            "/api/incidents",
            json={"title": "DB", "affected_services": ["db"]},
            headers=admin_headers,
        )
    ).json()
    iid = inc["id"]
    run = asyncio.create_task(
        client.post(
            f"/api/incidents/{iid}/runbooks/{rb['id']}/steps/wait/run",
            json={},
            headers=admin_headers,
        )
    )
    assert await asyncio.to_thread(Recorder.arrived.wait, 10)
    # While the step's call is out, the incident takes other changes (no lock is held).
    note = await client.post(
        f"/api/incidents/{iid}/updates", json={"message": "meanwhile"}, headers=admin_headers
    )
    assert note.status_code == 201 and not run.done()
    assert (await run).json()["status"] == "succeeded"
    timeline = (await client.get(f"/api/incidents/{iid}/timeline", headers=admin_headers)).json()[
        "items"
    ]
    assert [e["kind"] for e in timeline] == ["created", "update", "runbook"]
    # The outcome is dated when the answer came, after the note: times follow the order.
    assert timeline[1]["at"] < timeline[2]["at"]


async def test_auto_run_steps_run_once_when_an_alert_opens_the_incident(
    client: httpx.AsyncClient,
    admin_headers: H,
    ingest_headers: H,
    db: Database,
    settings: Settings,
    loopback: str,
) -> None:
    body = {
        "name": "auto",
        "alert_names": ["payments_5xx"],
        "steps": [
            {
                "name": "snapshot",
                "url": loopback + "/snapshot/{{ alert.service }}",
                "auto_run": True,
            },
            {
                "name": "failover",
                "url": loopback + "/failover",
                "auto_run": True,
                "requires_approval": True,
            },
            {"name": "manual", "url": loopback + "/manual"},
        ],
    }
    assert (await client.post("/api/runbooks", json=body, headers=admin_headers)).status_code == 201
    alert = {"service_name": "payments", "alert_name": "payments_5xx", "severity": "critical"}
    await client.post("/api/alerts", json=alert, headers=ingest_headers)
    async with db.transaction() as s:
        await consume_alert_events(s, datetime.now(UTC), IncidentSettings(gap_settle_seconds=0))
    async with db.transaction() as s:
        jobs = (await s.scalars(select(Job).where(Job.kind == AUTO_RUNBOOKS_JOB))).all()
    assert len(jobs) == 1
    payload = dict(jobs[0].payload)
    for attempt in (1, 2):  # a retry runs nothing twice
        async with db.transaction() as s:
            await auto_run_runbooks(JobContext(s, jobs[0].id, attempt, db, settings), payload)
    assert [c["path"] for c in Recorder.calls] == ["/snapshot/payments"]
    iid = payload["incident_id"]
    runs = (await client.get(f"/api/incidents/{iid}/runbook-runs", headers=admin_headers)).json()
    assert [(r["step"], r["status"], r["requested_by"]) for r in runs] == [
        ("snapshot", "succeeded", "sentinel (auto)"),
        ("failover", "pending_approval", "sentinel (auto)"),
    ]

"""Runbook HTTP steps only call allowed hosts (both databases): a literal host that can
never be allowed is refused when the runbook is saved; a rendered or resolved address
that is not allowed leaves a blocked run on the timeline and calls nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.test_incidents_runbooks import Recorder, recorder_server

H = dict[str, str]


@pytest.fixture
def loopback() -> Iterator[str]:
    yield from recorder_server()


async def _incident(client: httpx.AsyncClient, headers: H, ingest: H, instance: str) -> int:
    alert = {
        "service_name": "payments",
        "alert_name": "payments_5xx",
        "severity": "critical",
        "labels": {"instance": instance},
    }
    r = await client.post("/api/alerts", json=alert, headers=ingest)
    assert r.status_code == 201, r.text
    inc = await client.post(
        "/api/incidents",
        json={"title": "Payments down", "alert_ids": [r.json()["id"]]},
        headers=headers,
    )
    assert inc.status_code == 201, inc.text
    iid: int = inc.json()["id"]
    return iid


def _book(steps: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": "guarded", "services": ["payments"], "steps": steps}


async def test_metadata_addresses_are_refused_on_save_and_blocked_at_run_time(
    client: httpx.AsyncClient, admin_headers: H, ingest_headers: H, loopback: str
) -> None:
    for url in (
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest",
        "http://[::ffff:169.254.169.254]/",
        "http://user@169.254.170.2:80/creds",
    ):
        r = await client.post(
            "/api/runbooks", json=_book([{"name": "s", "url": url}]), headers=admin_headers
        )
        assert r.status_code == 422, (url, r.text)
        assert r.json()["type"].endswith("runbook-host-denied")
        assert r.json()["errors"][0]["field"] == "body.steps.0.url"
        assert "always denied" in r.json()["detail"]
    assert (await client.get("/api/runbooks", headers=admin_headers)).json()["items"] == []

    # Templated hosts, and a name that resolves to a metadata address, are judged when
    # the step runs: the run is blocked (dry runs too) and it is on the timeline.
    steps = [
        {"name": "templated", "url": "http://{{ alert.labels.instance }}/latest/meta-data/"},
        {"name": "numeric", "url": "http://2852039166/latest/meta-data/"},
        {"name": "fine", "url": loopback + "/fine"},
    ]
    r = await client.post("/api/runbooks", json=_book(steps), headers=admin_headers)
    assert r.status_code == 201, r.text
    rb = r.json()["id"]
    iid = await _incident(client, admin_headers, ingest_headers, "169.254.169.254")
    base = f"/api/incidents/{iid}/runbooks/{rb}/steps"
    for step, dry in (("templated", False), ("templated", True), ("numeric", False)):
        run = await client.post(f"{base}/{step}/run", json={"dry_run": dry}, headers=admin_headers)
        assert run.status_code == 422, run.text
        assert run.json()["type"].endswith("runbook-host-denied")
        assert run.json()["run"]["status"] == "blocked"
        assert "169.254.169.254" in run.json()["detail"] and "always denied" in run.json()["detail"]
    ok = await client.post(f"{base}/fine/run", json={}, headers=admin_headers)
    assert ok.status_code == 201 and ok.json()["status"] == "succeeded", ok.text
    assert [c["path"] for c in Recorder.calls] == ["/fine"]

    runs = (await client.get(f"/api/incidents/{iid}/runbook-runs", headers=admin_headers)).json()
    assert [r["status"] for r in runs] == ["blocked", "blocked", "blocked", "succeeded"]
    timeline = (await client.get(f"/api/incidents/{iid}/timeline", headers=admin_headers)).json()
    blocked = [e for e in timeline["items"] if e["detail"].get("status") == "blocked"]
    assert len(blocked) == 3
    assert blocked[2]["message"].startswith("Runbook 'guarded' step 'numeric' blocked:")
    assert "2852039166 (169.254.169.254)" in blocked[2]["message"]


async def test_the_configured_allow_list_decides(
    client: httpx.AsyncClient,
    admin_headers: H,
    ingest_headers: H,
    loopback: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = int(loopback.rsplit(":", 1)[1])
    monkeypatch.setenv("SENTINEL_RUNBOOK_ALLOWED_HOSTS", f"*.internal, localhost:{port}")
    refused = await client.post(
        "/api/runbooks",
        json=_book(
            [
                {"name": "ip", "url": loopback + "/by-ip"},  # 127.0.0.1 is not "localhost"
                {"name": "other", "url": "https://example.com/hook"},
                {"name": "port", "url": f"http://localhost:{port + 1}/x"},
            ]
        ),
        headers=admin_headers,
    )
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == [
        "body.steps.0.url",
        "body.steps.1.url",
        "body.steps.2.url",
    ]
    assert "SENTINEL_RUNBOOK_ALLOWED_HOSTS" in refused.json()["detail"]

    steps = [
        {"name": "named", "url": f"http://localhost:{port}/named"},
        {"name": "templated", "url": "http://{{ alert.labels.instance }}/t"},
    ]
    r = await client.post("/api/runbooks", json=_book(steps), headers=admin_headers)
    assert r.status_code == 201, r.text
    rb = r.json()["id"]
    iid = await _incident(client, admin_headers, ingest_headers, f"127.0.0.1:{port}")
    base = f"/api/incidents/{iid}/runbooks/{rb}/steps"
    named = await client.post(f"{base}/named/run", json={}, headers=admin_headers)
    assert named.status_code == 201 and named.json()["status"] == "succeeded", named.text
    assert Recorder.calls[0]["path"] == "/named"
    assert Recorder.calls[0]["headers"]["Host"] == f"localhost:{port}"
    templated = await client.post(f"{base}/templated/run", json={}, headers=admin_headers)
    assert templated.status_code == 422 and templated.json()["run"]["status"] == "blocked"
    assert len(Recorder.calls) == 1

    # An approved step is checked again when it runs.
    monkeypatch.setenv("SENTINEL_RUNBOOK_ALLOWED_HOSTS", f"localhost:{port}, 127.0.0.0/8")
    gated = _book([{"name": "gated", "url": loopback + "/gated", "requires_approval": True}])
    gated["name"] = "gated"
    rb2 = (await client.post("/api/runbooks", json=gated, headers=admin_headers)).json()["id"]
    parked = await client.post(
        f"/api/incidents/{iid}/runbooks/{rb2}/steps/gated/run", json={}, headers=admin_headers
    )
    assert parked.json()["status"] == "pending_approval", parked.text
    monkeypatch.setenv("SENTINEL_RUNBOOK_ALLOWED_HOSTS", "*.internal")
    approve = f"/api/incidents/{iid}/runbook-runs/{parked.json()['id']}/approve"
    approved = await client.post(approve, headers=admin_headers)
    assert approved.status_code == 422 and approved.json()["run"]["status"] == "blocked"
    assert approved.json()["run"]["approved_by"] == "admin@example.com"
    assert len(Recorder.calls) == 1

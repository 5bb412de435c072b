"""The real Prometheus and amtool (Debian packages) against a running Sentinel."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import INGEST_KEY, require_tool
from tests.e2e.conftest import LiveServer, free_port

pytestmark = pytest.mark.e2e
PROMETHEUS = shutil.which("prometheus")
AMTOOL = shutil.which("amtool")
TWO_SERIES = (
    'label_replace(vector(1), "instance", "a", "", "")'
    ' or label_replace(vector(1), "instance", "b", "", "")'
)


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last={last!r}")


@pytest.fixture
def prometheus(live_server: LiveServer, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    require_tool(PROMETHEUS, "prometheus is not installed (apt-get install prometheus)")
    stops_at = int(time.time()) + 12  # the second rule fires for about 12 seconds
    (tmp_path / "rules.yml").write_text(
        f"""
groups:
  - name: e2e
    interval: 1s
    rules:
      - alert: AlwaysFiring
        expr: {TWO_SERIES}
        labels: {{severity: critical, service: e2e}}
        annotations: {{summary: "always firing on {{{{ $labels.instance }}}}"}}
      - alert: StopsFiring
        expr: vector(time()) < {stops_at}
        labels: {{severity: warning, service: e2e-stop}}
"""
    )
    (tmp_path / "prometheus.yml").write_text(
        f"""
global: {{evaluation_interval: 1s, scrape_interval: 5s}}
rule_files: [rules.yml]
alerting:
  alertmanagers:
    - static_configs: [{{targets: ["127.0.0.1:{live_server.port}"]}}]
      api_version: v2
      authorization: {{credentials: {INGEST_KEY}}}
"""
    )
    log = (tmp_path / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{free_port()}",
            "--rules.alert.resend-delay=1s",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _alerts(server: LiveServer, headers: dict[str, str], **params: str) -> list[dict[str, Any]]:
    r = httpx.get(f"{server.url}/api/alerts", params={"limit": "100", **params}, headers=headers)
    r.raise_for_status()
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def test_prometheus_alerts_arrive_grouped_and_resolve_when_the_rule_stops(
    live_server: LiveServer, prometheus: subprocess.Popen[bytes]
) -> None:
    headers = live_server.admin_headers()

    def firing() -> list[dict[str, Any]]:
        got = _alerts(live_server, headers, alert_name="AlwaysFiring")
        return got if len(got) == 2 else []

    always = wait_for(firing, 30, "both AlwaysFiring alerts")
    assert {a["labels"]["instance"] for a in always} == {"a", "b"}
    for a in always:
        assert a["labels"]["alertname"] == "AlwaysFiring" and a["labels"]["severity"] == "critical"
        assert a["severity"] == "critical" and a["status"] == "firing"
        assert a["source"] == "alertmanager" and a["title"].startswith("always firing on")
        assert a["generator_url"].startswith("http://")
    assert always[0]["group_id"] is not None and always[0]["group_id"] == always[1]["group_id"]
    group = httpx.get(
        f"{live_server.url}/api/alerts/groups/{always[0]['group_id']}", headers=headers
    ).json()
    assert group["alert_count"] == 2 and group["labels"]["alertname"] == "AlwaysFiring"

    def stopped() -> list[dict[str, Any]]:
        got = _alerts(live_server, headers, alert_name="StopsFiring", status="resolved")
        return got

    [resolved] = wait_for(stopped, 45, "StopsFiring to resolve")
    assert resolved["resolved_at"] is not None and resolved["severity"] == "medium"
    # Re-sends keep the always-firing alerts open and counting.
    refreshed = wait_for(
        lambda: [
            a
            for a in _alerts(live_server, headers, alert_name="AlwaysFiring")
            if a["count"] >= 3 and a["status"] == "firing"
        ],
        20,
        "re-sends to be deduplicated",
    )
    assert len(refreshed) == 2
    kinds = [
        e["kind"]
        for e in httpx.get(
            f"{live_server.url}/api/alerts/{resolved['id']}/events", headers=headers
        ).json()
    ]
    assert kinds[0] == "fired" and kinds[-1] == "resolved"


def test_amtool_creates_lists_and_expires_a_silence(
    live_server: LiveServer, tmp_path: Path
) -> None:
    require_tool(AMTOOL, "amtool is not installed (apt-get install prometheus-alertmanager)")
    config = tmp_path / "http.yml"
    config.write_text(f"authorization:\n  credentials: {INGEST_KEY}\n")
    admin = live_server.admin_headers()
    key = httpx.post(
        f"{live_server.url}/api/api-keys",
        headers=admin,
        json={"name": "amtool", "scopes": ["write"]},
    ).json()["key"]
    config.write_text(f"authorization:\n  credentials: {key}\n")
    base = [AMTOOL, f"--alertmanager.url={live_server.url}", f"--http.config.file={config}"]

    def run(*args: str) -> str:
        done = subprocess.run([*base, *args], capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, f"amtool {args}: {done.stdout}\n{done.stderr}"
        return done.stdout.strip()

    httpx.post(
        f"{live_server.url}/api/v2/alerts",
        headers=live_server.ingest_headers,
        json=[{"labels": {"alertname": "DiskFull", "instance": "db-1"}}],
    ).raise_for_status()
    silence_id = run(
        "silence",
        "add",
        "alertname=DiskFull",
        'instance=~"db-.*"',
        "--comment=disk swap",
        "--duration=1h",
        "--author=ops",
    )
    assert len(silence_id) == 36
    listed = json.loads(run("silence", "query", "-o", "json"))
    assert [s["id"] for s in listed] == [silence_id]
    assert listed[0]["createdBy"] == "ops" and listed[0]["status"]["state"] == "active"
    [alert] = _alerts(live_server, admin, alert_name="DiskFull")
    assert alert["status"] == "silenced"
    run("silence", "expire", silence_id)
    assert run("silence", "query", "-q") == ""
    expired = json.loads(run("silence", "query", "--expired", "-o", "json"))
    assert [s["id"] for s in expired] == [silence_id]
    [alert] = _alerts(live_server, admin, alert_name="DiskFull")
    assert alert["status"] == "firing"


def test_pagerduty_events_trigger_acknowledge_resolve(live_server: LiveServer) -> None:
    url = f"{live_server.url}/v2/enqueue"
    trigger = {
        "routing_key": INGEST_KEY,
        "event_action": "trigger",
        "dedup_key": "e2e-1",
        "payload": {"summary": "Checkout failing", "source": "web-3", "severity": "error"},
    }
    assert httpx.post(url, json=trigger).status_code == 202
    admin = live_server.admin_headers()
    [alert] = _alerts(live_server, admin, source="pagerduty")
    assert alert["status"] == "firing" and alert["severity"] == "high"
    for action, status in (("acknowledge", "acknowledged"), ("resolve", "resolved")):
        r = httpx.post(
            url, json={"routing_key": INGEST_KEY, "event_action": action, "dedup_key": "e2e-1"}
        )
        assert r.status_code == 202 and r.json()["dedup_key"] == "e2e-1"
        [alert] = _alerts(live_server, admin, source="pagerduty")
        assert alert["status"] == status


def test_a_real_alertmanager_forwards_firing_and_resolved_to_the_webhook(
    live_server: LiveServer, tmp_path: Path
) -> None:
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    require_tool(binary, "alertmanager is not installed (apt-get install prometheus-alertmanager)")
    (tmp_path / "am.yml").write_text(
        f"""
route: {{receiver: sentinel, group_by: [alertname], group_wait: 1s, group_interval: 1s}}
receivers:
  - name: sentinel
    webhook_configs:
      - url: {live_server.url}/api/integrations/alertmanager
        send_resolved: true
        http_config: {{authorization: {{credentials: {INGEST_KEY}}}}}
"""
    )
    port = free_port()
    log = (tmp_path / "am.log").open("wb")
    am = subprocess.Popen(
        [
            binary,
            f"--config.file={tmp_path / 'am.yml'}",
            f"--storage.path={tmp_path / 'am'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        am_url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _ready(am_url), 20, "alertmanager to start")
        alert = {"labels": {"alertname": "ViaAlertmanager", "instance": "x"}}
        httpx.post(f"{am_url}/api/v2/alerts", json=[alert]).raise_for_status()
        admin = live_server.admin_headers()
        [got] = wait_for(
            lambda: _alerts(live_server, admin, alert_name="ViaAlertmanager"),
            20,
            "the webhook to deliver the firing alert",
        )
        assert got["source"] == "alertmanager-webhook" and got["labels"]["instance"] == "x"
        past = {**alert, "endsAt": "2020-01-01T00:00:00Z", "startsAt": "2019-12-31T00:00:00Z"}
        httpx.post(f"{am_url}/api/v2/alerts", json=[past]).raise_for_status()
        wait_for(
            lambda: _alerts(live_server, admin, alert_name="ViaAlertmanager", status="resolved"),
            20,
            "the webhook to deliver the resolve",
        )
    finally:
        am.terminate()
        am.wait(timeout=10)
        log.close()


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False

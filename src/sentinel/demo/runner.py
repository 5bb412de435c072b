"""`sentinel demo`: sends the demo's history and live traffic through the real ingest paths
(OTLP/HTTP protobuf, the Alertmanager v2 API) and sets the rest up through the REST API."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from sentinel.demo import configure, scenario
from sentinel.demo.client import SentinelClient
from sentinel.demo.otlp import log_requests, trace_requests
from sentinel.demo.records import Batch
from sentinel.demo.topology import REINDEX_OPERATION
from sentinel.demo.workload import MINUTE, Timeline, generate

Say = Callable[[str], None]
CHUNK = 5 * MINUTE  # history is generated and sent five minutes at a time


@dataclass
class DemoOptions:
    url: str
    api_key: str
    admin_email: str
    once: bool = False
    history_ns: int = 60 * MINUTE
    seed: int = 42
    rate_per_s: float = 2.0
    incident_wait_s: float = 30.0
    server_alive: Callable[[], bool] | None = None  # set when the demo started the server


@dataclass
class Sent:
    spans: int = 0
    logs: int = 0
    rejected: int = 0
    requests: int = 0
    large_trace_id: str = ""  # the 5,000-span trace, when this window held it

    def add(self, other: Sent) -> None:
        self.spans += other.spans
        self.logs += other.logs
        self.rejected += other.rejected
        self.requests += other.requests
        self.large_trace_id = other.large_trace_id or self.large_trace_id


@dataclass
class DemoState:
    timeline: Timeline
    oncall: configure.OnCall | None = None
    alert_ids: dict[str, int] = field(default_factory=dict)
    incident: dict[str, Any] | None = None
    incident_opened_by: str = ""
    acknowledged: bool = False


def send_batch(client: SentinelClient, batch: Batch) -> Sent:
    sent = Sent(spans=len(batch.spans), logs=len(batch.logs))
    for span in batch.spans:
        if span.name == REINDEX_OPERATION and not span.parent_id:
            sent.large_trace_id = span.trace_id.hex()
    for payload in trace_requests(batch.spans):
        answer = ExportTraceServiceResponse.FromString(client.export("/v1/traces", payload))
        sent.rejected += answer.partial_success.rejected_spans
        sent.requests += 1
    for payload in log_requests(batch.logs):
        logs_answer = ExportLogsServiceResponse.FromString(client.export("/v1/logs", payload))
        sent.rejected += logs_answer.partial_success.rejected_log_records
        sent.requests += 1
    return sent


def send_history(client: SentinelClient, timeline: Timeline, say: Say) -> Sent:
    total = Sent()
    began = time.monotonic()
    for start in range(timeline.start_ns, timeline.now_ns, CHUNK):
        total.add(
            send_batch(client, generate(timeline, start, min(start + CHUNK, timeline.now_ns)))
        )
    say(
        f"  history: {total.spans} spans and {total.logs} log records in {total.requests} "
        f"OTLP requests ({total.rejected} rejected) in {time.monotonic() - began:.1f} s"
    )
    return total


def _alert_id(client: SentinelClient, alertname: str) -> int | None:
    page = client.get("/api/alerts", alert_name=alertname, limit=1)
    return page["items"][0]["id"] if page["items"] else None


def send_history_alerts(client: SentinelClient, state: DemoState, say: Say) -> None:
    """Resolved alerts for the statistics and the fatigue report, a past incident, and a
    silence over the noisy alert (which fires once more, silenced)."""
    tl = state.timeline
    labels = scenario.redis_labels()
    cycles = scenario.flapping_cycles(tl)
    for fired, resolved in cycles:
        client.post("/api/v2/alerts", [scenario.am_alert(labels, {}, fired, None)])
        client.post("/api/v2/alerts", [scenario.am_alert(labels, {}, fired, resolved)])
    if client.find("/api/incidents", title=scenario.PAST_INCIDENT) is None:
        past_labels, began, ended = scenario.past_alert(tl)
        summary = {"summary": "inventory: stock sync more than 5 minutes behind"}
        client.post("/api/v2/alerts", [scenario.am_alert(past_labels, summary, began, None)])
        client.post("/api/v2/alerts", [scenario.am_alert(past_labels, summary, began, ended)])
        alert_id = _alert_id(client, scenario.PAST_ALERT)
        body = scenario.past_incident_body([alert_id] if alert_id else [], began)
        incident = client.post("/api/incidents", body)
        path = f"/api/incidents/{incident['id']}"
        client.post(
            f"{path}/status", {"status": "investigating", "message": "Looking at the sync job."}
        )
        client.post(
            f"{path}/root-cause",
            {
                "summary": "A slow full-table scan in the stock sync after an index was dropped.",
                "service": "inventory",
                "category": "database",
            },
        )
        client.post(
            f"{path}/status", {"status": "resolved", "message": "Index restored; sync back to 1 s."}
        )
    silence = next(
        (
            s
            for s in client.items("/api/alerting/silences")
            if s["comment"] == scenario.SILENCE_COMMENT and s["state"] == "active"
        ),
        None,
    )
    if silence is None:
        client.post("/api/alerting/silences", scenario.silence_body(tl.now_ns))
    later = tl.now_ns + 60 * MINUTE
    client.post("/api/v2/alerts", [scenario.am_alert(labels, {}, tl.now_ns - MINUTE, later)])
    disk = scenario.disk_alert(tl)
    client.post("/api/v2/alerts", [disk])
    disk_id = _alert_id(client, disk["labels"]["alertname"])
    if disk_id is not None:
        current = client.get(f"/api/alerts/{disk_id}")
        if current["status"] == "firing":
            client.post(f"/api/alerts/{disk_id}/acknowledge", None)
    say(
        f"  alerts: {len(cycles)} flapping {scenario.FLAPPING_ALERT} cycles (now silenced), "
        f"a resolved {scenario.PAST_ALERT} with its incident, an acknowledged "
        f"{disk['labels']['alertname']}"
    )


def send_failure_alerts(
    client: SentinelClient, state: DemoState, now_ns: int, ends_ns: int
) -> None:
    """(Re-)send the failure's alerts that have started, as Prometheus would."""
    alerts = scenario.failure_alerts(state.timeline, now_ns, ends_ns)
    if not alerts:
        return
    client.post("/api/v2/alerts", alerts)
    for alert in alerts:
        name = alert["labels"]["alertname"]
        if name not in state.alert_ids:
            found = _alert_id(client, name)
            if found is not None:
                state.alert_ids[name] = found


def ensure_incident(client: SentinelClient, state: DemoState, wait_s: float, say: Say) -> None:
    """Wait for the incident policy to open the failure's incident; open it through the API
    (with the alerts linked) if no policy does."""
    ids = [
        state.alert_ids[n]
        for n in (scenario.FAILURE_ALERT, scenario.SYMPTOM_ALERT)
        if n in state.alert_ids
    ]
    if not ids or state.incident is not None:
        return
    deadline = time.monotonic() + wait_s
    incident = None
    while incident is None:
        incident = next(
            (i for i in client.items("/api/incidents/active") if set(ids) & set(i["alert_ids"])),
            None,
        )
        if incident is not None or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if incident is None:
        body = scenario.incident_body(ids, state.timeline.failure_ns + MINUTE)
        incident = client.post("/api/incidents", body)
        state.incident_opened_by = "the demo, through the API (no policy opened one)"
    else:
        state.incident_opened_by = f"Sentinel's incident policy ({incident['creation_reason']})"
    assert incident is not None
    path = f"/api/incidents/{incident['id']}"
    for alert_id in ids:
        if alert_id not in incident["alert_ids"]:
            incident = client.post(f"{path}/alerts", {"alert_id": alert_id})
    timeline = client.get(f"{path}/timeline", limit=1000)["items"]
    if not any(e["message"] == scenario.INCIDENT_UPDATE for e in timeline):
        client.post(f"{path}/updates", {"message": scenario.INCIDENT_UPDATE})
    if state.oncall is not None and not incident["commander"]:
        admin = state.oncall.admin
        incident = client.post(f"{path}/assign", {"name": admin["email"], "role": "commander"})
        alice = state.oncall.users[0]
        client.post(f"{path}/assign", {"name": alice["name"], "role": "communications"})
    state.incident = client.get(path)
    say(f"  incident #{incident['id']} opened by {state.incident_opened_by}")

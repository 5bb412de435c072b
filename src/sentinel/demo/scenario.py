"""What the demo configures and which alerts it raises, as API request bodies. Pure: the
runner sends them (runner.py); the times come from the timeline (workload.py)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sentinel.demo.topology import CHECKOUT_OPERATION, ENVIRONMENT, NAMESPACE
from sentinel.demo.workload import MINUTE, SECOND, Timeline

# (email, name, role): people to put on call beside the admin.
DEMO_USERS = (
    ("alice@example.com", "Alice Chen", "responder"),
    ("bob@example.com", "Bob Okafor", "responder"),
    ("priya@example.com", "Priya Raman", "editor"),
)
TEAM = "Shop"
PRIMARY = "Shop primary on-call"
SECONDARY = "Shop secondary on-call"
POLICY = "Shop critical path"
ROUTE = "Shop: checkout path"
RUNBOOK = "Payments: database connection pool exhausted"
SILENCE_COMMENT = "redis maxmemory raised in CHG-2291; quiet until the rollout is done"
PAST_INCIDENT = "Inventory stock sync lagging behind"
INCIDENT_TITLE = "Checkout failing: payments cannot get database connections"
INCIDENT_UPDATE = (
    "payments-db pool at 20/20 with 30+ waiting; checkout errors above 50%. "
    "Suspect the pool size after payments 4.1.3; see the runbook."
)
FAILURE_ALERT = "PaymentsDBConnectionTimeouts"
SYMPTOM_ALERT = "CheckoutHighErrorRate"
LATENCY_ALERT = "CheckoutLatencyP95High"
FLAPPING_ALERT = "RedisMemoryHigh"
PAST_ALERT = "InventoryStockSyncLagging"
SHOP_LABELS = {"namespace": NAMESPACE, "env": ENVIRONMENT}


def iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, UTC).isoformat(timespec="milliseconds")


def _wall_clock(ns: int) -> str:
    """Local wall-clock time (schedules are in UTC here) without an offset, to the minute."""
    return datetime.fromtimestamp(ns / 1e9, UTC).strftime("%Y-%m-%dT%H:%M")


# -- on-call --------------------------------------------------------------------------------


def schedule_body(name: str, participants: list[int], now_ns: int, rotation: str) -> dict[str, Any]:
    """The first participant's shift started an hour ago, so they are on call now."""
    return {
        "name": name,
        "description": "Demo schedule made by `sentinel demo`.",
        "time_zone": "UTC",
        "layers": [
            {
                "name": f"{rotation} rotation",
                "rotation": rotation,
                "participants": participants,
                "start": _wall_clock(now_ns - 60 * MINUTE),
            }
        ],
    }


def override_body(user_id: int, now_ns: int) -> dict[str, Any]:
    """Someone covers tomorrow evening (shows on the two-week timeline)."""
    day = datetime.fromtimestamp(now_ns / 1e9, UTC).replace(
        hour=18, minute=0, second=0, microsecond=0
    ) + timedelta(days=1)
    return {
        "user_id": user_id,
        "start": day.isoformat(),
        "end": (day + timedelta(hours=4)).isoformat(),
    }


def policy_body(primary: int, secondary: int, team_id: int) -> dict[str, Any]:
    return {
        "name": POLICY,
        "description": "Page the primary on-call, then the secondary after 10 minutes.",
        "team_id": team_id,
        "repeat": 0,
        "steps": [
            {"kind": "notify_schedule", "targets": [primary]},
            {"kind": "wait", "wait_minutes": 10},
            {"kind": "notify_schedule", "targets": [secondary]},
        ],
    }


def route_body(policy_id: int, team_id: int) -> dict[str, Any]:
    return {
        "name": ROUTE,
        "matchers": [f'namespace="{NAMESPACE}"'],
        "receiver": "shop-oncall",
        "team_id": team_id,
        "escalation_policy_id": policy_id,
        "group_by": ["namespace", "env"],
        "group_wait_s": 30,
        "group_interval_s": 300,
        "repeat_interval_s": 3600,
        "continue_matching": False,
    }


def runbook_body(server_url: str) -> dict[str, Any]:
    return {
        "name": RUNBOOK,
        "services": ["payments"],
        "alert_names": [FAILURE_ALERT],
        "markdown": (
            "# Payments: database connection pool exhausted\n\n"
            "**Symptoms:** `QueuePool limit of size 20 overflow 0 reached` in payments logs, "
            "charges failing with 503, checkout errors.\n\n"
            "1. Confirm on the payments service page: DB client spans time out at 2 s.\n"
            "2. Check payments-db: `SELECT count(*) FROM pg_stat_activity WHERE datname = "
            "'payments'` and look for long transactions.\n"
            "3. If the pool is simply too small for the traffic, raise it (step below, needs "
            "approval) and watch the checkout error rate.\n"
            "4. If a deploy preceded it, roll payments back.\n"
        ),
        "steps": [
            {
                "name": "Check Sentinel health",
                "method": "GET",
                "url": f"{server_url}/health",
                "timeout_s": 5,
                "auto_run": True,
            },
            {
                "name": "Raise the payments DB pool to 40",
                "method": "POST",
                "url": "http://payments.shop.svc:8000/admin/db-pool",
                "body": {"size": 40, "reason": "incident {{ incident.id }}"},
                "timeout_s": 5,
                "requires_approval": True,
            },
        ],
    }


def slo_bodies() -> list[dict[str, Any]]:
    labels = {**SHOP_LABELS, "team": "shop"}
    return [
        {
            "name": "checkout-availability",
            "service": "checkout",
            "description": "Checkouts that do not fail (server spans without error).",
            "target": 0.995,
            "window": "30d",
            "sli": {"source": "span_ratio", "operation": CHECKOUT_OPERATION},
            "labels": labels,
        },
        {
            "name": "checkout-latency",
            "service": "checkout",
            "description": "Checkouts answered within a second.",
            "target": 0.99,
            "window": "30d",
            "sli": {
                "source": "span_latency",
                "operation": CHECKOUT_OPERATION,
                "threshold_ms": 1000,
            },
            "labels": labels,
        },
        {
            "name": "product-page-latency",
            "service": "inventory",
            "description": "Product lookups answered within 100 ms.",
            "target": 0.99,
            "window": "7d",
            "sli": {
                "source": "span_latency",
                "operation": "GET /api/products/{id}",
                "threshold_ms": 100,
            },
            "labels": labels,
        },
    ]


def silence_body(now_ns: int) -> dict[str, Any]:
    return {
        "matchers": [f'alertname="{FLAPPING_ALERT}"'],
        "ends_at": iso(now_ns + 120 * MINUTE),
        "comment": SILENCE_COMMENT,
    }


# -- alerts (Alertmanager API v2 bodies) ----------------------------------------------------


def am_alert(
    labels: dict[str, str], annotations: dict[str, str], starts_ns: int, ends_ns: int | None
) -> dict[str, Any]:
    alert: dict[str, Any] = {
        "labels": labels,
        "annotations": annotations,
        "startsAt": iso(starts_ns),
        "generatorURL": f"http://prometheus.shop.svc:9090/graph?g0.expr={labels['alertname']}",
    }
    if ends_ns is not None:
        alert["endsAt"] = iso(ends_ns)
    return alert


def failure_alerts(timeline: Timeline, now_ns: int, ends_ns: int) -> list[dict[str, Any]]:
    """The failure's alerts that have started by `now_ns`: the cause (payments' DB), the
    symptom (checkout errors) and a latency warning, all in the shop's alert group."""
    shop = {**SHOP_LABELS}
    alerts = [
        (
            timeline.failure_ns + MINUTE,
            {
                "alertname": FAILURE_ALERT,
                "service": "payments",
                "severity": "error",
                "db": "payments-db",
            },
            {
                "summary": "payments: DB connections time out (pool payments-primary exhausted)",
                "description": "More than 10% of payments' queries waited 2 s for a connection.",
            },
        ),
        (
            timeline.outage_ns + MINUTE,
            {"alertname": SYMPTOM_ALERT, "service": "checkout", "severity": "critical"},
            {
                "summary": "checkout: error rate above 5% for 1m",
                "description": "POST /api/checkout fails for more than half of the requests.",
            },
        ),
        (
            timeline.outage_ns + 2 * MINUTE,
            {"alertname": LATENCY_ALERT, "service": "checkout", "severity": "warning"},
            {"summary": "checkout: p95 latency above 1 s for 1m"},
        ),
    ]
    return [
        am_alert({**labels, **shop}, annotations, starts, ends_ns)
        for starts, labels, annotations in alerts
        if starts <= now_ns
    ]


def redis_labels() -> dict[str, str]:
    return {
        "alertname": FLAPPING_ALERT,
        "service": "redis",
        "severity": "warning",
        "namespace": "infra",
        "instance": "redis-master-0",
    }


def flapping_cycles(timeline: Timeline) -> list[tuple[int, int]]:
    """(fired, resolved) times of a noisy alert: every ~3 minutes over the history, each
    lasting one to two and a half minutes (the fatigue report's material)."""
    rng = random.Random(f"{timeline.seed}:flapping")
    cycles = []
    t = timeline.start_ns + 30 * SECOND
    while t + 3 * MINUTE < timeline.now_ns:
        lasted = int(rng.uniform(60, 150) * SECOND)
        cycles.append((t, t + lasted))
        t += int(rng.uniform(150, 230) * SECOND)
    return cycles


def past_alert(timeline: Timeline) -> tuple[dict[str, str], int, int]:
    """A warning early in the history that lasted a few minutes (labels, start, end)."""
    start = timeline.start_ns + (timeline.now_ns - timeline.start_ns) // 5
    labels = {"alertname": PAST_ALERT, "service": "inventory", "severity": "warning", **SHOP_LABELS}
    return labels, start, start + 6 * MINUTE


def disk_alert(timeline: Timeline) -> dict[str, Any]:
    """A warning someone has already acknowledged (for MTTA), outside the shop's group."""
    labels = {
        "alertname": "NodeDiskPressure",
        "service": "kubernetes",
        "severity": "warning",
        "namespace": "infra",
        "node": "ip-10-4-2-17",
    }
    annotations = {"summary": "node ip-10-4-2-17: root filesystem 87% full"}
    return am_alert(
        labels, annotations, timeline.now_ns - 12 * MINUTE, timeline.now_ns + 60 * MINUTE
    )


def past_incident_body(alert_ids: list[int], started_ns: int) -> dict[str, Any]:
    return {
        "title": PAST_INCIDENT,
        "description": "Stock sync took minutes instead of seconds; product pages showed "
        "stale stock.",
        "severity": "medium",
        "priority": "P3",
        "affected_services": ["inventory"],
        "alert_ids": alert_ids,
        "started_at": iso(started_ns),
    }


def incident_body(alert_ids: list[int], started_ns: int) -> dict[str, Any]:
    """The failure's incident, when no policy opened one by itself."""
    return {
        "title": INCIDENT_TITLE,
        "description": "Opened by `sentinel demo`: checkout fails because payments times out "
        "waiting for database connections.",
        "severity": "critical",
        "priority": "P1",
        "affected_services": ["checkout", "payments"],
        "alert_ids": alert_ids,
        "started_at": iso(started_ns),
    }

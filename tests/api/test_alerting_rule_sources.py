"""Rules over log counts, log patterns and SLO burn rates: data arrives through the logs
and SLO APIs, the worker's evaluation (called with explicit times) moves each rule
through pending → firing → normal, on both databases."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from sentinel.alerting.config import AlertingSettings
from sentinel.alerting.rule_service import evaluate_rules
from sentinel.storage.engine import Database
from tests.logs_helpers import derive_now, record

H = dict[str, str]


async def tick(db: Database, at: datetime) -> None:
    async with db.transaction() as s:
        await evaluate_rules(s, at, AlertingSettings())


async def ingest_logs(client: httpx.AsyncClient, headers: H, rows: list[dict[str, Any]]) -> None:
    r = await client.post("/api/logs/ingest", json=rows, headers=headers)
    assert r.status_code == 200 and r.json()["rejected"] == 0, r.text


async def make_rule(client: httpx.AsyncClient, headers: H, **body: Any) -> int:
    rule = {"comparator": ">=", "severity": "high", **body}
    r = await client.post("/api/alerting/rules", json=rule, headers=headers)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def rule_state(client: httpx.AsyncClient, headers: H, rule_id: int) -> tuple[str, Any]:
    got = (await client.get(f"/api/alerting/rules/{rule_id}", headers=headers)).json()
    return got["state"], got["last_value"]


async def alert_statuses(client: httpx.AsyncClient, headers: H, name: str) -> list[str]:
    r = await client.get("/api/alerts", params={"alert_name": name}, headers=headers)
    return [a["status"] for a in r.json()["items"]]


async def history(client: httpx.AsyncClient, headers: H, rule_id: int) -> list[tuple[str, str]]:
    r = await client.get(f"/api/alerting/rules/{rule_id}/history", headers=headers)
    return [(h["from_state"], h["to_state"]) for h in r.json()]


async def test_log_count_rule_fires_after_for_and_resolves_when_logs_stop(
    client: httpx.AsyncClient, admin_headers: H, ingest_headers: H, db: Database
) -> None:
    rule_id = await make_rule(
        client,
        admin_headers,
        name="CheckoutTimeouts",
        source="log_count",
        params={"query": "timeout -healthcheck", "service": "checkout", "levels": "error,fatal"},
        threshold=3,
        for_s=60,
        labels={"team": "payments"},
    )
    now = time.time()
    matching = [record(f"payment timeout after {n}s", level="ERROR") for n in (10, 20)]
    ignored = [
        record("healthcheck timeout ignored", level="ERROR"),  # excluded term
        record("payment timeout after 5s", level="INFO"),  # level
        record("payment timeout after 5s", level="ERROR", service_name="search"),  # service
        record("payment timeout long ago", level="ERROR", timestamp=now - 3600),  # window
    ]
    await ingest_logs(client, ingest_headers, matching + ignored)
    await derive_now(db)  # the first lines come from the full-text index …
    await ingest_logs(client, ingest_headers, [record("payment timeout after 30s", level="FATAL")])
    t0 = datetime.now(UTC)  # … the last one from the not-yet-indexed tail

    await tick(db, t0)
    assert await rule_state(client, admin_headers, rule_id) == ("pending", 3)
    assert await alert_statuses(client, admin_headers, "CheckoutTimeouts") == []
    await tick(db, t0 + timedelta(seconds=61))
    assert await rule_state(client, admin_headers, rule_id) == ("firing", 3)
    [alert] = (
        await client.get(
            "/api/alerts", params={"alert_name": "CheckoutTimeouts"}, headers=admin_headers
        )
    ).json()["items"]
    assert alert["status"] == "firing" and alert["source"] == "rule"
    assert alert["labels"]["team"] == "payments" and alert["current_value"] == 3

    # Five minutes later the lines have left the window: the count is 0, the rule resolves.
    await tick(db, t0 + timedelta(seconds=400))
    assert await rule_state(client, admin_headers, rule_id) == ("normal", 0)
    assert await alert_statuses(client, admin_headers, "CheckoutTimeouts") == ["resolved"]
    assert await history(client, admin_headers, rule_id) == [
        ("normal", "pending"),
        ("pending", "firing"),
        ("firing", "normal"),
    ]


async def _pattern_id(client: httpx.AsyncClient, headers: H, template: str) -> int:
    r = await client.get("/api/logs/patterns", headers=headers)
    assert r.status_code == 200, r.text
    found = {p["template"]: p["id"] for p in r.json()["items"]}
    assert template in found, found
    return int(found[template])


async def test_log_pattern_rules_by_id_and_on_a_new_pattern(
    client: httpx.AsyncClient, admin_headers: H, ingest_headers: H, db: Database
) -> None:
    now = time.time()
    await ingest_logs(
        client,
        ingest_headers,
        [record(f"user {n} logged in", timestamp=now - 3000) for n in range(5)],
    )
    await derive_now(db)
    login = await _pattern_id(client, admin_headers, "user <NUM> logged in")
    by_id = await make_rule(
        client,
        admin_headers,
        name="LoginLines",
        source="log_pattern_count",
        params={"pattern_id": login, "window_s": 300},
        threshold=4,
        for_s=30,
    )
    appeared = await make_rule(
        client,
        admin_headers,
        name="NewErrorPattern",
        source="log_pattern_count",
        params={"new_patterns": True, "min_level": "error", "window_s": 300},
        comparator=">",
        threshold=0,
    )
    t0 = datetime.now(UTC)
    await tick(db, t0)  # the logins are an hour old: nothing in the window, nothing new
    assert await rule_state(client, admin_headers, by_id) == ("normal", 0)
    assert await rule_state(client, admin_headers, appeared) == ("normal", 0)

    await ingest_logs(
        client,
        ingest_headers,
        [record(f"user {n} logged in") for n in range(5)]
        + [record(f"disk full on volume vol-{n}", level="ERROR") for n in range(2)],
    )
    await derive_now(db)
    t1 = datetime.now(UTC)
    await tick(db, t1)
    assert await rule_state(client, admin_headers, by_id) == ("pending", 5)
    assert await rule_state(client, admin_headers, appeared) == ("firing", 1)
    await tick(db, t1 + timedelta(seconds=31))
    assert await rule_state(client, admin_headers, by_id) == ("firing", 5)
    assert await alert_statuses(client, admin_headers, "LoginLines") == ["firing"]
    assert await alert_statuses(client, admin_headers, "NewErrorPattern") == ["firing"]

    await tick(db, t1 + timedelta(seconds=400))
    assert await rule_state(client, admin_headers, by_id) == ("normal", 0)
    assert await rule_state(client, admin_headers, appeared) == ("normal", 0)
    assert await alert_statuses(client, admin_headers, "LoginLines") == ["resolved"]
    assert await alert_statuses(client, admin_headers, "NewErrorPattern") == ["resolved"]
    assert await history(client, admin_headers, by_id) == [
        ("normal", "pending"),
        ("pending", "firing"),
        ("firing", "normal"),
    ]


async def test_slo_burn_rate_rule_fires_while_the_budget_burns(
    client: httpx.AsyncClient, admin_headers: H, ingest_headers: H, db: Database
) -> None:
    created = await client.post(
        "/api/slo",
        json={"name": "api-availability", "service": "api", "target": 0.999},
        headers=admin_headers,
    )
    assert created.status_code in (200, 201), created.text
    slo_id = created.json()["id"]
    rule_id = await make_rule(
        client,
        admin_headers,
        name="ApiBudgetBurn",
        source="slo_burn_rate",
        params={"slo_id": slo_id, "window_s": 3600},
        comparator=">",
        threshold=14.4,
        for_s=120,
        no_data="ok",
    )
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    await tick(db, now)  # no measurements yet: no data, and the policy says ok
    assert await rule_state(client, admin_headers, rule_id) == ("normal", None)

    # 10 % errors against 0.1 % allowed: a burn rate of 100.
    r = await client.post(
        f"/api/slo/{slo_id}/measurements",
        json={"good": 900, "total": 1000, "timestamp": now.isoformat()},
        headers=ingest_headers,
    )
    assert r.status_code in (200, 201, 202), r.text
    await tick(db, now + timedelta(seconds=10))
    state, value = await rule_state(client, admin_headers, rule_id)
    assert state == "pending" and value == pytest.approx(100)
    await tick(db, now + timedelta(minutes=3))
    assert (await rule_state(client, admin_headers, rule_id))[0] == "firing"
    [alert] = (
        await client.get(
            "/api/alerts", params={"alert_name": "ApiBudgetBurn"}, headers=admin_headers
        )
    ).json()["items"]
    assert alert["status"] == "firing" and alert["current_value"] == pytest.approx(100)

    # An hour on, the bad minute has left the window: no events, no data, and the
    # policy `ok` treats that as no breach.
    await tick(db, now + timedelta(minutes=62))
    assert await rule_state(client, admin_headers, rule_id) == ("normal", None)
    assert await alert_statuses(client, admin_headers, "ApiBudgetBurn") == ["resolved"]
    assert await history(client, admin_headers, rule_id) == [
        ("normal", "pending"),
        ("pending", "firing"),
        ("firing", "normal"),
    ]


BAD_PARAMS = [
    ("log_count", {"query": "level:loud"}, "level"),
    ("log_count", {"query": "trace_id:xyz"}, "trace_id"),
    ("log_count", {"query": "x", "levels": "chatty"}, "level"),
    ("log_count", {"query": 42}, "string"),
    ("log_pattern_count", {"pattern_id": 987654321}, "no log pattern"),
    ("log_pattern_count", {}, "exactly one"),
    ("log_pattern_count", {"pattern_id": 1, "new_patterns": True}, "exactly one"),
    ("log_pattern_count", {"pattern_id": "one"}, "integer"),
    ("log_pattern_count", {"new_patterns": True, "min_level": "loud"}, "min_level"),
    ("slo_burn_rate", {"slo_id": 424242}, "no SLO"),
    ("slo_burn_rate", {}, "slo_id"),
]


@pytest.mark.parametrize(("source", "params", "said"), BAD_PARAMS)
async def test_bad_rule_definitions_are_refused(
    client: httpx.AsyncClient, admin_headers: H, source: str, params: dict[str, Any], said: str
) -> None:
    body = {"name": "Bad", "source": source, "params": params, "threshold": 1}
    r = await client.post("/api/alerting/rules", json=body, headers=admin_headers)
    assert r.status_code == 400, r.text
    assert said in r.json()["detail"]
    assert (await client.get("/api/alerting/rules", headers=admin_headers)).json()["items"] == []

"""GET /api/alerts/grouped (the open alerts as they page, for the web UI's Alerts page) and
the typed statistics and fatigue answers, on both databases."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.test_alerting_groups import setup
from tests.conftest import UserFactory

H = dict[str, str]


def shape(body: dict[str, Any]) -> list[tuple[str, dict[str, str], list[str]]]:
    return [
        (
            g["group"]["receiver"],
            g["group"]["labels"],
            [a["labels"].get("instance", a["alert_name"]) for a in g["alerts"]],
        )
        for g in body["groups"]
    ]


async def grouped(client: httpx.AsyncClient, headers: H) -> dict[str, Any]:
    r = await client.get("/api/alerts/grouped", headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_groups_as_they_page_with_continue_routes_and_severity_order(
    client: httpx.AsyncClient, admin_headers: H, ingest_headers: H
) -> None:
    await setup(client, admin_headers, ingest_headers)
    body = await grouped(client, admin_headers)
    assert body["ungrouped"] == []
    got = shape(body)
    # Alert a (and b) took the `continue` route: they sit in a db-oncall and a dba-audit group.
    assert sorted((receiver, tuple(sorted(labels.items()))) for receiver, labels, _ in got) == [
        ("db-oncall", (("alertname", "PgDown"), ("cluster", "c1"))),
        ("db-oncall", (("alertname", "PgDown"), ("cluster", "c2"))),
        ("dba-audit", (("cluster", "c1"),)),
        ("dba-audit", (("cluster", "c2"),)),
        ("default", (("alertname", "NodeDown"), ("service", "node"))),
    ]
    c1 = [ids for receiver, labels, ids in got if labels.get("cluster") == "c1"]
    assert [sorted(ids) for ids in c1] == [["a", "b"], ["a", "b"]]
    for g in body["groups"]:
        assert g["group"]["status"] == "open" and g["group"]["group_wait_s"] >= 0
        assert all(a["group_id"] is not None for a in g["alerts"])
    silenced = next(
        a for g in body["groups"] for a in g["alerts"] if a["labels"]["instance"] == "b"
    )
    assert silenced["status"] == "silenced"

    # A critical alert's group comes first; a resolved alert leaves every group it was in.
    r = await client.post(
        "/api/alerts",
        json={"service_name": "payments", "alert_name": "PaymentsDown", "severity": "critical"},
        headers=ingest_headers,
    )
    assert r.status_code == 201, r.text
    a_id = next(
        a["id"] for g in body["groups"] for a in g["alerts"] if a["labels"]["instance"] == "a"
    )
    r = await client.post(f"/api/alerts/{a_id}/resolve", headers=admin_headers)
    assert r.status_code == 200, r.text
    after = await grouped(client, admin_headers)
    first = after["groups"][0]
    assert [a["alert_name"] for a in first["alerts"]] == ["PaymentsDown"]
    assert first["alerts"][0]["severity"] == "critical"
    assert all(a["id"] != a_id for g in after["groups"] for a in g["alerts"])


async def test_grouped_needs_a_reader(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/alerts/grouped")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_statistics_and_fatigue_answer_their_documented_shapes(
    client: httpx.AsyncClient, admin_headers: H, ingest_headers: H
) -> None:
    brief = {"service_name": "redis", "alert_name": "RedisMemoryHigh", "severity": "low"}
    for _ in range(6):  # fire and resolve on its own, six times: flapping, self-resolving
        alert = (await client.post("/api/alerts", json=brief, headers=ingest_headers)).json()
        r = await client.post(f"/api/alerts/{alert['id']}/resolve", headers=admin_headers)
        assert r.status_code == 200, r.text
    other = {"service_name": "checkout", "alert_name": "CheckoutSlow", "severity": "high"}
    alert = (await client.post("/api/alerts", json=other, headers=ingest_headers)).json()
    await client.post(f"/api/alerts/{alert['id']}/acknowledge", headers=admin_headers)

    stats = (await client.get("/api/alerts/statistics?days=3", headers=admin_headers)).json()
    assert stats["window_days"] == 3 and len(stats["daily"]) == 4
    today = stats["daily"][-1]
    assert today["total"] == 7 and today["low"] == 6 and today["high"] == 1
    assert today["critical"] == 0  # every severity is present, 0 when none fired
    assert stats["mtta_seconds"]["count"] == 1 and stats["mttr_seconds"]["count"] == 6
    assert stats["open_alerts"] == 1
    assert stats["top_noisy"][0] == {
        "alert_name": "RedisMemoryHigh",
        "service": "redis",
        "occurrences": 6,
    }

    report = (await client.get("/api/alerts/fatigue?days=1", headers=admin_headers)).json()
    assert report["occurrences"] == 7
    redis = next(r for r in report["rules"] if r["key"] == "RedisMemoryHigh")
    assert set(redis["parts"]) == {
        "frequency",
        "unacknowledged",
        "low_severity",
        "self_resolving",
        "flapping",
    }
    assert redis["score"] == round(min(100, sum(redis["parts"].values())))
    assert redis["ack_rate"] == 0.0 and redis["self_resolved"] == 6
    assert [f["alert_name"] for f in report["flapping"]] == ["RedisMemoryHigh"]
    add_for = next(x for x in redis["recommendations"] if x["action"].startswith("add for"))
    assert add_for["numbers"]["short_alerts"] == 6
    assert {e["key"] for e in report["services"]} == {"redis", "checkout"}


async def test_acknowledge_and_resolve_a_whole_group(
    client: httpx.AsyncClient, admin_headers: H, ingest_headers: H, login_as: UserFactory
) -> None:
    for instance in ("db-1", "db-2"):
        r = await client.post(
            "/api/alerts",
            json={
                "service_name": "postgres",
                "alert_name": "PgReplicationLag",
                "severity": "high",
                "labels": {"instance": instance},
            },
            headers=ingest_headers,
        )
        assert r.status_code == 201, r.text
    [group] = (await grouped(client, admin_headers))["groups"]
    gid = group["group"]["id"]
    assert len(group["alerts"]) == 2

    viewer = await login_as("viewer")
    r = await client.post(f"/api/alerts/groups/{gid}/acknowledge", headers=viewer)
    assert r.status_code == 403
    responder = await login_as("responder")
    r = await client.post(f"/api/alerts/groups/{gid}/acknowledge", headers=responder)
    assert r.status_code == 200, r.text
    assert r.json() == {"group_id": gid, "action": "acknowledge", "alerts_changed": 2}
    [group] = (await grouped(client, admin_headers))["groups"]
    assert {a["status"] for a in group["alerts"]} == {"acknowledged"}
    again = await client.post(f"/api/alerts/groups/{gid}/acknowledge", headers=responder)
    assert again.json()["alerts_changed"] == 0  # nothing left to acknowledge

    r = await client.post(f"/api/alerts/groups/{gid}/resolve", headers=responder)
    assert r.json() == {"group_id": gid, "action": "resolve", "alerts_changed": 2}
    assert (await grouped(client, admin_headers))["groups"] == []
    missing = await client.post("/api/alerts/groups/424242/resolve", headers=responder)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


async def test_an_alert_re_sent_while_it_fires_is_steady_not_flapping(
    client: httpx.AsyncClient, admin_headers: H, ingest_headers: H
) -> None:
    steady = {"service_name": "db", "alert_name": "ReplicationLag", "severity": "high"}
    flappy = {"service_name": "cache", "alert_name": "CacheEvictions", "severity": "high"}
    for _ in range(3):
        for _ in range(8):  # the sender re-sends it while it fires, as Prometheus does
            alert = (await client.post("/api/alerts", json=steady, headers=ingest_headers)).json()
        await client.post(f"/api/alerts/{alert['id']}/resolve", headers=admin_headers)
        alert = (await client.post("/api/alerts", json=flappy, headers=ingest_headers)).json()
        await client.post(f"/api/alerts/{alert['id']}/resolve", headers=admin_headers)

    report = (await client.get("/api/alerts/fatigue", headers=admin_headers)).json()
    assert [(f["alert_name"], f["transitions"]) for f in report["flapping"]] == [
        ("CacheEvictions", 5)
    ]
    rules = {r["key"]: r for r in report["rules"]}
    assert rules["CacheEvictions"]["flap_percent"] == 100.0
    assert rules["ReplicationLag"]["flap_percent"] < 25
    assert rules["ReplicationLag"]["fires"] == rules["CacheEvictions"]["fires"] == 3

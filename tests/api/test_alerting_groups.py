"""GET /api/v2/alerts/groups in Alertmanager's alertGroup shape, with its filters
(filter, receiver, active, silenced, inhibited), against what Sentinel's routing and
grouping produced — `continue` routes included — on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

H = dict[str, str]
GROUP_KEYS = {"labels", "receiver", "alerts"}
ALERT_KEYS = {
    "labels",
    "annotations",
    "startsAt",
    "endsAt",
    "updatedAt",
    "fingerprint",
    "receivers",
    "status",
}


def iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def pg_alert(instance: str, cluster: str, summary: str, name: str = "PgDown") -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "labels": {
            "alertname": name,
            "job": "postgres",
            "service": f"pg-{cluster}",  # unrelated services: no smart grouping across clusters
            "instance": instance,
            "cluster": cluster,
        },
        "annotations": {"summary": summary},
        "startsAt": iso(now - timedelta(minutes=1)),
        "endsAt": iso(now + timedelta(minutes=5)),
        "generatorURL": "http://prometheus:9090/graph?g0.expr=pg_up",
    }


async def setup(client: httpx.AsyncClient, admin: H, ingest: H) -> dict[str, str]:
    """Two routes for postgres alerts (the first with `continue`), a silence on instance b,
    an inhibition of cluster c2's PgDown by its NodeDown. Returns fingerprints by instance."""
    for position, route in enumerate(
        (
            {
                "name": "db",
                "matchers": ['job="postgres"'],
                "receiver": "db-oncall",
                "group_by": ["alertname", "cluster"],
                "continue_matching": True,
            },
            {
                "name": "audit",
                "matchers": ['job="postgres"'],
                "receiver": "dba-audit",
                "group_by": ["cluster"],
            },
        )
    ):
        r = await client.post(
            "/api/alerting/routes", json={**route, "position": position}, headers=admin
        )
        assert r.status_code == 201, r.text
    r = await client.post(
        "/api/alerting/inhibition-rules",
        json={
            "name": "node down mutes its database",
            "source_matchers": ['alertname="NodeDown"'],
            "target_matchers": ['alertname="PgDown"'],
            "equal": ["cluster"],
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    now = datetime.now(UTC)
    r = await client.post(
        "/api/v2/silences",
        json={
            "matchers": [{"name": "instance", "value": "b", "isRegex": False}],
            "startsAt": iso(now),
            "endsAt": iso(now + timedelta(hours=1)),
            "createdBy": "ops",
            "comment": "replacing b",
        },
        headers=admin,
    )
    assert r.status_code == 200, r.text
    node = pg_alert("n", "c2", "node n is unreachable", name="NodeDown")
    node["labels"].update(job="node", service="node")
    del node["generatorURL"]
    for batch in (
        [node],
        [
            pg_alert("a", "c1", "postgres primary a refuses connections"),
            pg_alert("b", "c1", "postgres primary b refuses connections"),
            pg_alert("c", "c2", "replication slot overflow"),
        ],
    ):
        r = await client.post("/api/v2/alerts", json=batch, headers=ingest)
        assert r.status_code == 200, r.text
    alerts = (await client.get("/api/v2/alerts", headers=admin)).json()
    return {a["labels"]["instance"]: a["fingerprint"] for a in alerts}


def summary(groups: list[dict[str, Any]]) -> list[tuple[dict[str, str], str, list[str]]]:
    return [
        (g["labels"], g["receiver"]["name"], [a["labels"]["instance"] for a in g["alerts"]])
        for g in groups
    ]


async def groups(client: httpx.AsyncClient, headers: H, **params: Any) -> list[dict[str, Any]]:
    r = await client.get("/api/v2/alerts/groups", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return list(r.json())


async def test_groups_mirror_routing_and_grouping(
    client: httpx.AsyncClient, admin_headers: H, ingest_headers: H
) -> None:
    fingerprints = await setup(client, admin_headers, ingest_headers)
    got = await groups(client, admin_headers)
    c1 = {"alertname": "PgDown", "cluster": "c1"}
    c2 = {"alertname": "PgDown", "cluster": "c2"}
    # Alertmanager's order: by group labels, then receiver.
    assert summary(got) == [
        ({"alertname": "NodeDown", "service": "node"}, "default", ["n"]),
        (c1, "db-oncall", sorted(["a", "b"], key=lambda i: fingerprints[i])),
        (c2, "db-oncall", ["c"]),
        ({"cluster": "c1"}, "dba-audit", sorted(["a", "b"], key=lambda i: fingerprints[i])),
        ({"cluster": "c2"}, "dba-audit", ["c"]),
    ]
    for group in got:
        assert set(group) == GROUP_KEYS
        for alert in group["alerts"]:
            # Alertmanager leaves generatorURL out when the sender gave none.
            assert set(alert) - {"generatorURL"} == ALERT_KEYS
            assert ("generatorURL" in alert) == (alert["labels"]["job"] == "postgres")
            assert set(alert["status"]) == {"state", "silencedBy", "inhibitedBy"}
    a = next(x for x in got[1]["alerts"] if x["labels"]["instance"] == "a")
    assert a["receivers"] == [{"name": "db-oncall"}, {"name": "dba-audit"}]
    assert a["status"] == {"state": "active", "silencedBy": [], "inhibitedBy": []}
    b = next(x for x in got[1]["alerts"] if x["labels"]["instance"] == "b")
    assert b["status"]["state"] == "suppressed" and len(b["status"]["silencedBy"]) == 1
    c = got[2]["alerts"][0]
    assert c["status"]["state"] == "suppressed" and len(c["status"]["inhibitedBy"]) == 1

    # The same groups Sentinel's own API shows, with the same receivers and alerts.
    own = (await client.get("/api/alerts/groups", headers=admin_headers)).json()["items"]
    open_groups = {(tuple(sorted(g["labels"].items())), g["receiver"]) for g in own}
    assert {(tuple(sorted(g["labels"].items())), g["receiver"]["name"]) for g in got} == (
        open_groups
    )
    listed = (await client.get("/api/alerts/active", headers=admin_headers)).json()
    items = listed["items"] if isinstance(listed, dict) else listed
    primary = {a["labels"]["instance"]: a["group_id"] for a in items}
    by_id = {g["id"]: g for g in own}
    assert by_id[primary["a"]]["receiver"] == "db-oncall"
    assert by_id[primary["n"]]["receiver"] == "default"


async def test_groups_filters_like_alertmanager(
    client: httpx.AsyncClient, admin_headers: H, ingest_headers: H
) -> None:
    await setup(client, admin_headers, ingest_headers)
    c1 = {"alertname": "PgDown", "cluster": "c1"}
    assert summary(await groups(client, admin_headers, receiver="db-.*")) == [
        (c1, "db-oncall", summary(await groups(client, admin_headers))[1][2]),
        ({"alertname": "PgDown", "cluster": "c2"}, "db-oncall", ["c"]),
    ]
    # The regex is anchored: "dba" is not "dba-audit".
    assert await groups(client, admin_headers, receiver="dba") == []
    assert [
        g["receiver"]["name"]
        for g in await groups(client, admin_headers, receiver="dba-audit|default")
    ] == ["default", "dba-audit", "dba-audit"]
    assert summary(await groups(client, admin_headers, filter='instance="a"')) == [
        (c1, "db-oncall", ["a"]),
        ({"cluster": "c1"}, "dba-audit", ["a"]),
    ]
    # silenced=false drops b, inhibited=false drops c (and the groups left empty).
    quiet = await groups(client, admin_headers, silenced="false", inhibited="false")
    assert summary(quiet) == [
        ({"alertname": "NodeDown", "service": "node"}, "default", ["n"]),
        (c1, "db-oncall", ["a"]),
        ({"cluster": "c1"}, "dba-audit", ["a"]),
    ]
    # active=false keeps only the suppressed ones.
    muted = await groups(client, admin_headers, active="false")
    assert [i for *_, ids in summary(muted) for i in ids] == ["b", "c", "b", "c"]
    # Repeated filters are ANDed; GET /api/v2/alerts takes the same receiver regex.
    both = await groups(client, admin_headers, filter=['cluster="c1"', 'instance=~"a|b"'])
    assert [len(g["alerts"]) for g in both] == [2, 2]
    r = await client.get("/api/v2/alerts", params={"receiver": "dba-audit"}, headers=admin_headers)
    assert sorted(a["labels"]["instance"] for a in r.json()) == ["a", "b", "c"]


async def test_groups_bad_input_and_auth(client: httpx.AsyncClient, admin_headers: H) -> None:
    for params in ({"receiver": "("}, {"filter": 'a=~"("'}, {"active": "maybe"}):
        r = await client.get("/api/v2/alerts/groups", params=params, headers=admin_headers)
        assert r.status_code in (400, 422), (params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    r = await client.get("/api/v2/alerts", params={"receiver": "("}, headers=admin_headers)
    assert r.status_code == 400
    assert (await client.get("/api/v2/alerts/groups")).status_code == 401
    assert (await client.get("/api/v2/alerts/groups", headers=admin_headers)).json() == []

"""OpenSLO v1 import/export: SLO, SLI and AlertPolicy kinds; unknown fields reported."""

from __future__ import annotations

import httpx
import yaml

DOCS = """
apiVersion: openslo/v1
kind: SLI
metadata:
  name: checkout-latency-sli
spec:
  thresholdMetric:
    metricSource:
      type: sentinel-spans
      spec: {service: checkout, operation: "POST /pay", measure: duration_ms}
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata:
  name: fast-burn
spec:
  alertWhenBreaching: true
  conditions:
    - kind: AlertCondition
      metadata: {name: page-1h}
      spec:
        severity: page
        condition: {kind: burnrate, op: gte, threshold: 3.36, lookbackWindow: 1h, alertAfter: 5m}
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-latency
  displayName: Checkout is fast
  labels: {team: payments}
spec:
  service: checkout
  indicatorRef: checkout-latency-sli
  timeWindow:
    - duration: 7d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: under 300ms
      target: 0.95
      op: lte
      value: 300
  alertPolicies: [fast-burn]
  owner: someone        # not an OpenSLO v1 field Sentinel uses
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-errors
spec:
  service: checkout
  indicator:
    metadata: {name: checkout-errors-sli}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(ok[1m]))', url: 'http://127.0.0.1:9'}}}
        total: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(all[1m]))', url: 'http://127.0.0.1:9'}}}
  timeWindow:
    - duration: 1M
      isRolling: false
      calendar: {startTime: "2026-01-01 00:00:00", timeZone: Europe/Paris}
  budgetingMethod: Timeslices
  objectives:
    - target: 0.999
      timeSliceTarget: 0.99
      timeSliceWindow: 1m
      colour: green
"""


async def test_import_reports_unknown_fields_and_round_trips(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    headers = {**admin_headers, "Content-Type": "application/yaml"}
    imported = await client.post("/api/slo/openslo", headers=headers, content=DOCS)
    assert imported.status_code == 200, imported.text
    result = imported.json()
    assert result["created"] == ["checkout-latency", "checkout-errors"]
    assert result["unknown_fields"] == [
        "SLO/checkout-latency.spec.owner",
        "SLO/checkout-errors.spec.objectives[0].colour",
    ]

    slos = {
        s["name"]: s for s in (await client.get("/api/slo", headers=admin_headers)).json()["items"]
    }
    latency = slos["checkout-latency"]
    assert latency["sli"] == {
        "source": "span_latency",
        "service": "checkout",
        "operation": "POST /pay",
        "threshold_ms": 300.0,
    }
    assert latency["window"] == {"kind": "rolling", "duration": "7d"}
    assert latency["labels"] == {"team": "payments"}
    # A burn rate of 3.36 over 1h in a 7-day window is 2% of the budget.
    assert latency["alerting"]["conditions"] == [
        {"severity": "page", "long_window": "1h", "short_window": "5m", "budget_fraction": 0.02}
    ]
    errors = slos["checkout-errors"]
    assert errors["window"] == {"kind": "calendar", "unit": "month", "tz": "Europe/Paris"}
    assert errors["budgeting"] == "timeslices" and errors["timeslice_target"] == 0.99
    assert errors["sli"]["source"] == "promql"

    exported = await client.get(f"/api/slo/{latency['id']}/openslo", headers=admin_headers)
    assert exported.headers["content-type"].startswith("application/yaml")
    docs = list(yaml.safe_load_all(exported.text))
    assert [d["kind"] for d in docs] == ["SLO", "AlertPolicy"]
    condition = docs[1]["spec"]["conditions"][0]["spec"]["condition"]
    assert condition["threshold"] == 3.36 and condition["lookbackWindow"] == "1h"

    # Exporting everything and importing it again changes nothing but says so.
    everything = await client.get("/api/slo/openslo", headers=admin_headers)
    again = await client.post("/api/slo/openslo", headers=headers, content=everything.text)
    assert again.status_code == 200, again.text
    assert again.json()["created"] == []
    assert sorted(again.json()["updated"]) == ["checkout-errors", "checkout-latency"]
    after = {
        s["name"]: s for s in (await client.get("/api/slo", headers=admin_headers)).json()["items"]
    }
    for name in slos:
        for field in ("target", "window", "budgeting", "timeslice_target", "sli", "alerting"):
            assert after[name][field] == slos[name][field], (name, field)


async def test_invalid_documents_apply_nothing(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    bad_target = DOCS.replace("target: 0.95", "target: 1.5")
    for text, fragment in (
        ("{not yaml", "YAML"),
        (bad_target, "target"),
        (
            DOCS.replace("apiVersion: openslo/v1\nkind: SLI", "apiVersion: openslo/v2\nkind: SLI"),
            "apiVersion",
        ),
        (DOCS.replace("timeSliceWindow: 1m", "timeSliceWindow: 5m"), "1m time slices"),
        (DOCS.replace("indicatorRef: checkout-latency-sli", "indicatorRef: nope"), "nope"),
    ):
        response = await client.post("/api/slo/openslo", headers=admin_headers, content=text)
        assert response.status_code == 422, text
        assert fragment in response.text
    listed = await client.get("/api/slo", headers=admin_headers)
    assert listed.json()["items"] == []

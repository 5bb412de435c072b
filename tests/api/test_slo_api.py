"""The SLO API on both databases: auth matrix, validation, and numbers checked by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import UserFactory

NOW = datetime.now(UTC)


def slo_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "checkout-availability",
        "service": "checkout",
        "target": 0.99,
        "window": "30d",
        "description": "Checkout requests that succeed",
    }
    body.update(overrides)
    return body


async def create(client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any) -> int:
    response = await client.post("/api/slo", headers=headers, json=slo_body(**overrides))
    assert response.status_code == 201, response.text
    slo_id: int = response.json()["id"]
    return slo_id


async def test_create_get_list_update_delete_with_audit(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    created = await client.post("/api/slo", headers=admin_headers, json=slo_body())
    assert created.status_code == 201, created.text
    slo = created.json()
    assert slo["window"] == {"kind": "rolling", "duration": "30d"}
    assert slo["sli"] == {"source": "measurements"}
    for n in range(3):
        await create(client, admin_headers, name=f"latency-{n}", service="search")

    listed = await client.get("/api/slo?limit=2", headers=admin_headers)
    assert listed.status_code == 200
    assert len(listed.json()["items"]) == 2 and listed.json()["next_cursor"]
    rest = await client.get(
        f"/api/slo?limit=2&cursor={listed.json()['next_cursor']}", headers=admin_headers
    )
    assert len(rest.json()["items"]) == 2 and rest.json()["next_cursor"] is None
    only = await client.get("/api/slo?service=checkout", headers=admin_headers)
    assert [s["name"] for s in only.json()["items"]] == ["checkout-availability"]

    patched = await client.patch(
        f"/api/slo/{slo['id']}",
        headers=admin_headers,
        json={
            "target": 0.995,
            "window": {"kind": "calendar", "unit": "month", "tz": "Europe/Berlin"},
        },
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["target"] == 0.995
    assert patched.json()["window"]["tz"] == "Europe/Berlin"
    fetched = await client.get(f"/api/slo/{slo['id']}", headers=admin_headers)
    assert fetched.json()["target"] == 0.995

    deleted = await client.delete(f"/api/slo/{slo['id']}", headers=admin_headers)
    assert deleted.status_code == 204
    gone = await client.get(f"/api/slo/{slo['id']}", headers=admin_headers)
    assert gone.status_code == 404
    assert gone.headers["content-type"].startswith("application/problem+json")

    audit = await client.get("/api/audit?target_type=slo", headers=admin_headers)
    actions = [e["action"] for e in audit.json()["items"]]
    assert actions[0] == "slo.delete" and actions[1] == "slo.update"
    assert actions.count("slo.create") == 4


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"target": 1.0}, "target"),
        ({"target": 0}, "target"),
        ({"target": 99.9}, "target"),
        ({"window": "1d"}, "ticket-3d-6h"),  # the Workbook's 3d alert cannot fit in 1 day
        ({"window": {"kind": "calendar", "unit": "month", "tz": "Mars/Base"}}, "time zone"),
        ({"window": "fortnight"}, "duration"),
        (
            {
                "window": "7d",
                "alerting": {
                    "conditions": [
                        {
                            "severity": "page",
                            "long_window": "8d",
                            "short_window": "1h",
                            "burn_rate": 2,
                        }
                    ]
                },
            },
            "longer than the SLO window",
        ),
        ({"sli": {"source": "promql", "url": "http://127.0.0.1:1"}}, "good_query"),
        ({"sli": {"source": "span_latency"}}, "threshold_ms"),
        ({"budgeting": "requests"}, "budgeting"),
        ({"surprise": 1}, "surprise"),
    ],
)
async def test_bad_definitions_are_422_and_create_nothing(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    overrides: dict[str, Any],
    fragment: str,
) -> None:
    response = await client.post("/api/slo", headers=admin_headers, json=slo_body(**overrides))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert fragment in response.text
    listed = await client.get("/api/slo", headers=admin_headers)
    assert listed.json()["items"] == []


async def test_duplicate_name_is_409(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    await create(client, admin_headers)
    again = await client.post("/api/slo", headers=admin_headers, json=slo_body())
    assert again.status_code == 409


async def test_auth_matrix(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    ingest_headers: dict[str, str],
    login_as: UserFactory,
) -> None:
    slo_id = await create(client, admin_headers)
    viewer = await login_as("viewer")
    reads = [
        "/api/slo",
        "/api/slo/violations",
        "/api/slo/report",
        f"/api/slo/{slo_id}",
        f"/api/slo/{slo_id}/status",
        f"/api/slo/{slo_id}/history",
        f"/api/slo/{slo_id}/predict",
        f"/api/slo/{slo_id}/exclusions",
        f"/api/slo/{slo_id}/openslo",
    ]
    for path in reads:
        assert (await client.get(path)).status_code == 401, path
        assert (await client.get(path, headers=ingest_headers)).status_code == 403, path
        assert (await client.get(path, headers=viewer)).status_code == 200, path
    for path in reads[3:]:
        missing = path.replace(f"/{slo_id}", "/999999")
        assert (await client.get(missing, headers=viewer)).status_code == 404, missing

    writes = [
        ("POST", "/api/slo", slo_body(name="other")),
        ("PATCH", f"/api/slo/{slo_id}", {"target": 0.9}),
        ("DELETE", f"/api/slo/{slo_id}", None),
        (
            "POST",
            f"/api/slo/{slo_id}/exclusions",
            {"start": NOW.isoformat(), "end": (NOW + timedelta(hours=1)).isoformat()},
        ),
        ("POST", "/api/slo/openslo", None),
    ]
    for method, path, body in writes:
        assert (await client.request(method, path, json=body)).status_code == 401, path
        denied = await client.request(method, path, json=body, headers=viewer)
        assert denied.status_code == 403, path
    for method, path, body in writes[1:4]:
        missing = path.replace(f"/{slo_id}", "/999999")
        found = await client.request(method, missing, json=body, headers=admin_headers)
        assert found.status_code == 404, missing

    measurement = {"good": 1, "total": 1}
    path = f"/api/slo/{slo_id}/measurements"
    assert (await client.post(path, json=measurement)).status_code == 401
    assert (await client.post(path, json=measurement, headers=viewer)).status_code == 403
    missing = await client.post(
        "/api/slo/999999/measurements", json=measurement, headers=ingest_headers
    )
    assert missing.status_code == 404
    assert (await client.post(path, json=measurement, headers=ingest_headers)).status_code == 200


async def test_budget_numbers_add_up_by_hand(
    client: httpx.AsyncClient, admin_headers: dict[str, str], ingest_headers: dict[str, str]
) -> None:
    slo_id = await create(client, admin_headers, target=0.99)
    # 10,000 requests two hours ago, 50 of them failed: 1% of 10,000 = 100 may fail,
    # 50 did → half the budget is left.
    at = (NOW - timedelta(hours=2)).isoformat()
    batch = {"measurements": [{"good": 4975, "total": 5000, "timestamp": at}] * 2}
    posted = await client.post(
        f"/api/slo/{slo_id}/measurements", headers=ingest_headers, json=batch
    )
    assert posted.status_code == 200, posted.text
    assert posted.json() == {"accepted": 2, "minutes": 1}

    status = (await client.get(f"/api/slo/{slo_id}/status", headers=admin_headers)).json()
    assert status["sli"] == pytest.approx(0.995)
    assert (status["good"], status["total"], status["bad"]) == (9950, 10000, 50)
    budget = status["error_budget"]
    assert budget["unit"] == "events"
    assert budget["total"] == pytest.approx(100)
    assert budget["consumed"] == pytest.approx(50)
    assert budget["remaining"] == pytest.approx(50)
    assert budget["remaining_ratio"] == pytest.approx(0.5)
    # As time: 1% of 30 days is 432 minutes, half of it left.
    assert budget["time_total_minutes"] == pytest.approx(432)
    assert budget["time_remaining_minutes"] == pytest.approx(216)
    assert status["meets_target"] is True
    # 0.5% errors against 1% allowed: burn rate 0.5 in every window holding the events.
    assert status["burn_rates"]["6h"] == pytest.approx(0.5)
    assert status["burn_rates"]["3d"] == pytest.approx(0.5)
    assert status["burn_rates"]["1h"] == 0
    assert set(status["burn_rates"]) == {"5m", "30m", "1h", "2h", "6h", "1d", "3d"}
    assert [c["key"] for c in status["conditions"]] == [
        "page-1h-5m",
        "page-6h-30m",
        "ticket-1d-2h",
        "ticket-3d-6h",
    ]
    assert [c["threshold"] for c in status["conditions"]] == pytest.approx([14.4, 6, 3, 1])
    assert not any(c["firing"] for c in status["conditions"])

    # 51 more failures overspend the budget: 101 bad where 100.51 may fail.
    await client.post(
        f"/api/slo/{slo_id}/measurements",
        headers=ingest_headers,
        json={"good_events": 0, "total_events": 51, "timestamp": at},
    )
    status = (await client.get(f"/api/slo/{slo_id}/status", headers=admin_headers)).json()
    assert status["error_budget"]["remaining"] == pytest.approx(100.51 - 101)
    assert status["meets_target"] is False

    history = await client.get(
        f"/api/slo/{slo_id}/history",
        params={"step": "1h", "start": (NOW - timedelta(hours=4)).isoformat()},
        headers=admin_headers,
    )
    assert history.status_code == 200, history.text
    points = history.json()["points"]
    assert points[0]["total"] == 0 and points[0]["remaining_ratio"] == 1.0
    assert points[-1]["total"] == 10051
    ratios = [p["remaining_ratio"] for p in points]
    assert ratios == sorted(ratios, reverse=True)  # a burn-down only goes down here


async def test_good_above_total_is_422_and_changes_nothing(
    client: httpx.AsyncClient, admin_headers: dict[str, str], ingest_headers: dict[str, str]
) -> None:
    slo_id = await create(client, admin_headers)
    path = f"/api/slo/{slo_id}/measurements"
    for body in (
        {"good": 11, "total": 10},
        {"measurements": [{"good": 1, "total": 1}, {"good": 5, "total": 4}]},
        {"good": -1, "total": 4},
        {"good": 1},
        {"good": 1, "total": 2, "timestamp": (NOW + timedelta(days=1)).isoformat()},
    ):
        response = await client.post(path, headers=ingest_headers, json=body)
        assert response.status_code == 422, body
        assert response.headers["content-type"].startswith("application/problem+json")
    status = (await client.get(f"/api/slo/{slo_id}/status", headers=admin_headers)).json()
    assert status["total"] == 0 and status["sli"] is None


async def test_exclusions_leave_maintenance_out(
    client: httpx.AsyncClient, admin_headers: dict[str, str], ingest_headers: dict[str, str]
) -> None:
    slo_id = await create(client, admin_headers, target=0.9)
    maintenance = (NOW - timedelta(hours=5)).replace(second=0, microsecond=0)
    await client.post(
        f"/api/slo/{slo_id}/measurements",
        headers=ingest_headers,
        json={
            "measurements": [
                {"good": 0, "total": 100, "timestamp": maintenance.isoformat()},
                {
                    "good": 95,
                    "total": 100,
                    "timestamp": (maintenance - timedelta(hours=1)).isoformat(),
                },
            ]
        },
    )
    before = (await client.get(f"/api/slo/{slo_id}/status", headers=admin_headers)).json()
    assert before["sli"] == pytest.approx(0.475)
    added = await client.post(
        f"/api/slo/{slo_id}/exclusions",
        headers=admin_headers,
        json={
            "reason": "database upgrade",
            "start": maintenance.isoformat(),
            "end": (maintenance + timedelta(minutes=30)).isoformat(),
        },
    )
    assert added.status_code == 201, added.text
    after = (await client.get(f"/api/slo/{slo_id}/status", headers=admin_headers)).json()
    assert after["sli"] == pytest.approx(0.95)
    assert after["total"] == 100
    assert after["excluded_minutes"] == 30
    # 10% of 100 may fail, 5 did: half the budget left.
    assert after["error_budget"]["remaining_ratio"] == pytest.approx(0.5)

    recurring = await client.post(
        f"/api/slo/{slo_id}/exclusions",
        headers=admin_headers,
        json={
            "start": "2026-01-05T02:00:00Z",
            "every": "week",
            "days": [6],
            "duration": "2h",
            "tz": "Europe/Berlin",
        },
    )
    assert recurring.status_code == 201, recurring.text
    listed = await client.get(f"/api/slo/{slo_id}/exclusions", headers=admin_headers)
    assert [e["every"] for e in listed.json()] == [None, "week"]
    bad = await client.post(
        f"/api/slo/{slo_id}/exclusions",
        headers=admin_headers,
        json={"start": "2026-01-05T02:00:00Z", "every": "week", "duration": "2h"},
    )
    assert bad.status_code == 422
    exclusion_id = added.json()["id"]
    deleted = await client.delete(
        f"/api/slo/{slo_id}/exclusions/{exclusion_id}", headers=admin_headers
    )
    assert deleted.status_code == 204
    again = (await client.get(f"/api/slo/{slo_id}/status", headers=admin_headers)).json()
    assert again["sli"] == pytest.approx(0.475)


async def test_timeslices_budget_is_minutes(
    client: httpx.AsyncClient, admin_headers: dict[str, str], ingest_headers: dict[str, str]
) -> None:
    slo_id = await create(
        client,
        admin_headers,
        target=0.999,
        window="7d",
        budgeting="timeslices",
        timeslice_target=0.95,
    )
    base = (NOW - timedelta(hours=3)).replace(second=0, microsecond=0)
    measurements = [
        {"good": g, "total": 100, "timestamp": (base + timedelta(minutes=i)).isoformat()}
        for i, g in enumerate([100, 94, 95, 10, 99])
    ]
    await client.post(
        f"/api/slo/{slo_id}/measurements",
        headers=ingest_headers,
        json={"measurements": measurements},
    )
    status = (await client.get(f"/api/slo/{slo_id}/status", headers=admin_headers)).json()
    # Two minutes fell below 95%; 0.1% of a week is 10.08 minutes of budget.
    assert status["bad_minutes"] == 2
    budget = status["error_budget"]
    assert budget["unit"] == "minutes"
    assert budget["total"] == pytest.approx(10.08)
    assert budget["consumed"] == 2
    assert budget["remaining_ratio"] == pytest.approx(1 - 2 / 10.08)
    # Lowering the slice target re-counts the minutes: now only the 10% minute is bad.
    await client.patch(f"/api/slo/{slo_id}", headers=admin_headers, json={"timeslice_target": 0.9})
    status = (await client.get(f"/api/slo/{slo_id}/status", headers=admin_headers)).json()
    assert status["bad_minutes"] == 1


async def test_violations_predict_and_report(
    client: httpx.AsyncClient, admin_headers: dict[str, str], ingest_headers: dict[str, str]
) -> None:
    healthy = await create(client, admin_headers, name="healthy", service="search")
    burning = await create(client, admin_headers, name="burning", target=0.999)
    await client.post(
        f"/api/slo/{healthy}/measurements",
        headers=ingest_headers,
        json={"good": 1000, "total": 1000},
    )
    await client.post(
        f"/api/slo/{burning}/measurements",
        headers=ingest_headers,
        json={"good": 900, "total": 1000},
    )

    violations = await client.get("/api/slo/violations", headers=admin_headers)
    assert violations.status_code == 200
    found = violations.json()["items"]
    assert [v["name"] for v in found] == ["burning"]
    # 10% errors against 0.1% allowed: burn 100 over every window, all four conditions.
    assert found[0]["burning"] == ["page-1h-5m", "page-6h-30m", "ticket-1d-2h", "ticket-3d-6h"]
    assert found[0]["out_of_target"] is True

    predicted = (await client.get(f"/api/slo/{burning}/predict", headers=admin_headers)).json()
    assert predicted["exhausted"] is True and predicted["seconds_to_exhaustion_current_burn"] == 0
    calm = (await client.get(f"/api/slo/{healthy}/predict", headers=admin_headers)).json()
    assert calm["exhausted"] is False
    assert calm["seconds_to_exhaustion_current_burn"] is None  # not burning at all
    assert calm["predicted_breach_alert"] is False

    report = await client.get("/api/slo/report", headers=admin_headers)
    assert report.status_code == 200
    body = report.json()
    by_name = {s["name"]: s for s in body["slos"]}
    assert by_name["burning"]["met"] is False and by_name["burning"]["sli"] == pytest.approx(0.9)
    assert by_name["healthy"]["met"] is True
    assert {s["service"]: s["compliance"] for s in body["services"]} == {
        "checkout": 0.0,
        "search": 1.0,
    }
    assert body["compliance"] == 0.5
    markdown = await client.get(
        "/api/slo/report?format=markdown&service=search", headers=admin_headers
    )
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert "| healthy | search | 99.000% | 100.000% | yes |" in markdown.text
    assert "burning" not in markdown.text
    bad = await client.get(
        "/api/slo/report",
        params={"start": NOW.isoformat(), "end": (NOW - timedelta(days=1)).isoformat()},
        headers=admin_headers,
    )
    assert bad.status_code == 400


async def test_concurrent_measurements_all_count(
    client: httpx.AsyncClient, admin_headers: dict[str, str], ingest_headers: dict[str, str]
) -> None:
    import asyncio

    slo_id = await create(client, admin_headers, target=0.9)
    at = (NOW - timedelta(minutes=30)).isoformat()

    async def post(n: int) -> int:
        body = {"good": n % 2, "total": 1, "timestamp": at}
        response = await client.post(
            f"/api/slo/{slo_id}/measurements", headers=ingest_headers, json=body
        )
        return response.status_code

    codes = await asyncio.gather(*(post(n) for n in range(30)))
    assert set(codes) == {200}
    status = (await client.get(f"/api/slo/{slo_id}/status", headers=admin_headers)).json()
    assert (status["good"], status["total"]) == (15, 30)


async def test_retention_drops_old_buckets_only(
    client: httpx.AsyncClient,
    db: Any,
    admin_headers: dict[str, str],
    ingest_headers: dict[str, str],
) -> None:
    from sentinel.slo.config import SloSettings
    from sentinel.slo.tasks import purge

    slo_id = await create(client, admin_headers, window="90d")
    old = (NOW - timedelta(days=120)).isoformat()
    await client.post(
        f"/api/slo/{slo_id}/measurements",
        headers=ingest_headers,
        json={"measurements": [{"good": 1, "total": 1, "timestamp": old}, {"good": 1, "total": 2}]},
    )
    report = await client.get(
        "/api/slo/report",
        params={"start": (NOW - timedelta(days=365)).isoformat()},
        headers=admin_headers,
    )
    assert report.json()["slos"][0]["total"] == 3
    async with db.transaction() as session:
        await purge(session, NOW, SloSettings())
    # The hour rollup of the old minute stays (reports), the minute goes; a fresh one stays.
    report = await client.get(
        "/api/slo/report",
        params={"start": (NOW - timedelta(days=365)).isoformat()},
        headers=admin_headers,
    )
    assert report.json()["slos"][0]["total"] == 3
    async with db.transaction() as session:
        await purge(session, NOW, SloSettings(hour_retention_days=100))
    report = await client.get(
        "/api/slo/report",
        params={"start": (NOW - timedelta(days=365)).isoformat()},
        headers=admin_headers,
    )
    assert report.json()["slos"][0]["total"] == 2


async def test_openapi_documents_the_slo_api(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    for path in (
        "/api/slo",
        "/api/slo/{slo_id}/measurements",
        "/api/slo/{slo_id}/status",
        "/api/slo/{slo_id}/history",
        "/api/slo/violations",
        "/api/slo/{slo_id}/predict",
        "/api/slo/report",
        "/api/slo/openslo",
    ):
        assert path in spec["paths"], path


async def test_calendar_week_resets_and_history_shows_it(
    client: httpx.AsyncClient, admin_headers: dict[str, str], ingest_headers: dict[str, str]
) -> None:
    slo_id = await create(client, admin_headers, target=0.9, window="week")
    this_monday = (NOW - timedelta(days=NOW.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    last_week = this_monday - timedelta(days=2)
    await client.post(
        f"/api/slo/{slo_id}/measurements",
        headers=ingest_headers,
        json={
            "measurements": [
                {"good": 0, "total": 50, "timestamp": last_week.isoformat()},
                {"good": 99, "total": 100, "timestamp": NOW.isoformat()},
            ]
        },
    )
    status = (await client.get(f"/api/slo/{slo_id}/status", headers=admin_headers)).json()
    # Last week's outage belongs to last week's budget: this week starts afresh.
    assert status["window_start"].startswith(this_monday.strftime("%Y-%m-%dT00:00:00"))
    assert (status["good"], status["total"]) == (99, 100)
    history = await client.get(
        f"/api/slo/{slo_id}/history",
        params={"start": (last_week - timedelta(hours=1)).isoformat(), "step": "1h"},
        headers=admin_headers,
    )
    points = history.json()["points"]
    before_reset = [p for p in points if p["at"] < this_monday.isoformat().replace("+00:00", "Z")]
    assert before_reset[-1]["remaining_ratio"] < 0  # last week ended overspent
    after = [p for p in points if p["at"] > this_monday.isoformat().replace("+00:00", "Z")]
    # The new week starts without last week's 50 failures (only this week's 1 of 100).
    assert after[0]["total"] in (0, 100) and after[0]["remaining_ratio"] >= 0.9


async def test_predict_from_the_trend_without_worker_history(
    client: httpx.AsyncClient, admin_headers: dict[str, str], ingest_headers: dict[str, str]
) -> None:
    slo_id = await create(client, admin_headers, target=0.99)
    hour = NOW.replace(minute=0, second=0, microsecond=0)
    batch = [
        {"good": 1_000_000, "total": 1_000_000, "timestamp": (NOW - timedelta(days=20)).isoformat()}
    ]
    # Each of the last 24 hours: 1,000 requests, 200 failing → the budget falls ~2% an hour.
    batch += [
        {
            "good": 800,
            "total": 1000,
            "timestamp": (hour - timedelta(hours=k, minutes=30)).isoformat(),
        }
        for k in range(24)
    ]
    await client.post(
        f"/api/slo/{slo_id}/measurements", headers=ingest_headers, json={"measurements": batch}
    )
    predicted = (await client.get(f"/api/slo/{slo_id}/predict", headers=admin_headers)).json()
    assert predicted["method"] == "trend"
    assert predicted["trend_slope_per_hour"] < -0.01
    assert predicted["confidence"] > 0.9
    hours = predicted["seconds_to_exhaustion_trend"] / 3600
    assert 10 < hours < 72
    assert predicted["breach_in_window"] is True
    assert predicted["predicted_breach_alert"] is True

"""`sentinel demo --once` against a real server (both databases): with zero setup (it mints
its own admin key in the server's database) every page of the UI has something to show."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_EMAIL
from tests.e2e.conftest import LiveServer, start_server, stop_server

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    live = start_server(
        database_url,
        tmp_path / "server",
        {"SENTINEL_SLO_EVALUATION_SECONDS": "1", "SENTINEL_INCIDENT_TICK_SECONDS": "0.5"},
    )
    try:
        yield live
    finally:
        stop_server(live)


def run_demo(server: LiveServer, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it: same configuration as the server, no API key."""
    env = {k: v for k, v in server.env.items() if k != "SENTINEL_PORT"}
    return subprocess.run(
        [sys.executable, "-m", "sentinel", "demo", "--url", server.url, "--once", *args],
        env=env,
        cwd=server.log_path.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )


def eventually(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def test_demo_fills_every_page_through_the_real_ingest_paths(server: LiveServer) -> None:
    began = time.monotonic()
    done = run_demo(server, "--history", "15m", "--seed", "7")
    took = time.monotonic() - began
    assert done.returncode == 0, done.stdout + done.stderr + server.log()[-3000:]
    assert "minted an admin API key" in done.stdout and "0 rejected" in done.stdout
    print(f"sentinel demo --once --history 15m took {took:.1f} s")
    api = httpx.Client(base_url=server.url, headers=server.admin_headers(), timeout=30)

    # Services and the dependency graph, with the failing downstream edges.
    services = api.get("/api/tracing/services").json()
    assert set(services) >= {"frontend", "auth", "checkout", "payments", "inventory"}
    edges = {
        (e["caller"], e["callee"]): e for e in api.get("/api/tracing/dependencies").json()["edges"]
    }
    for pair in (
        ("frontend", "checkout"),
        ("frontend", "auth"),
        ("checkout", "inventory"),
        ("checkout", "payments"),
        ("checkout", "redis"),
        ("payments", "payments-db"),
        ("inventory", "search-index"),
    ):
        assert pair in edges, sorted(edges)
    assert edges[("payments", "payments-db")]["error_count"] > 0
    assert edges[("checkout", "payments")]["error_count"] > 0
    assert edges[("frontend", "auth")]["error_count"] == 0
    errors = api.get("/api/tracing/traces", params={"service": "payments", "status": "error"})
    assert errors.json()["items"]

    # The new log pattern is found, and its line leads to its trace.
    hits = api.get("/api/logs/search", params={"query": '"pool exhausted"', "limit": 5}).json()
    assert hits["items"], hits
    line = hits["items"][0]
    assert line["service_name"] == "payments" and line["level"] == "ERROR" and line["trace_id"]
    trace = api.get(f"/api/tracing/traces/{line['trace_id']}").json()
    assert trace["error_count"] >= 3 and "payments" in trace["services"]

    # The failure's alerts are active, routed to the shop's receiver and grouped together.
    active = {a["alert_name"]: a for a in api.get("/api/alerts/active").json()["items"]}
    cause, symptom = active["PaymentsDBConnectionTimeouts"], active["CheckoutHighErrorRate"]
    assert cause["status"] == symptom["status"] == "firing"
    assert cause["group_id"] == symptom["group_id"] is not None
    group = api.get(f"/api/alerts/groups/{cause['group_id']}").json()
    assert group["receiver"] == "shop-oncall" and group["alert_count"] >= 2
    assert active["RedisMemoryHigh"]["status"] == "silenced"
    assert active["NodeDiskPressure"]["status"] == "acknowledged"
    assert api.get("/api/alerts/statistics").json()  # resolved history for MTTA/MTTR

    # An incident is open with the failure's alerts linked; an older one is resolved.
    incidents = api.get("/api/incidents/active").json()["items"]
    open_ones = [i for i in incidents if cause["id"] in i["alert_ids"]]
    assert len(open_ones) == 1 and symptom["id"] in open_ones[0]["alert_ids"]
    every = api.get("/api/incidents").json()["items"]
    assert any(i["status"] == "resolved" for i in every)

    # The checkout availability SLO burns.
    slos = {s["name"]: s for s in api.get("/api/slo").json()["items"]}
    slo_id = slos["checkout-availability"]["id"]

    def burning() -> dict[str, Any] | None:
        status: dict[str, Any] = api.get(f"/api/slo/{slo_id}/status").json()
        return status if status["total"] and status["burn_rates"]["1h"] > 1 else None

    status = eventually(burning, "the checkout SLO to burn")
    assert status["sli"] < 0.995 and status["error_budget"]["consumed"] > 0

    # The admin is on call now on the primary schedule.
    schedules = {s["name"]: s for s in api.get("/api/oncall/schedules").json()["items"]}
    primary = schedules["Shop primary on-call"]
    on_call = api.get(f"/api/oncall/schedules/{primary['id']}/on-call").json()
    admin = next(u for u in api.get("/api/users").json()["items"] if u["email"] == ADMIN_EMAIL)
    assert on_call["user_id"] == admin["id"]

    # The 5,000-span trace can be found and fetched whole.
    found = api.get(
        "/api/tracing/traces", params={"service": "inventory", "operation": "catalog.reindex"}
    ).json()["items"]
    assert found and found[0]["span_count"] == 5000
    big = api.get(f"/api/tracing/traces/{found[0]['trace_id']}").json()
    assert big["span_count"] == 5000 and big["complete"] and len(big["roots"]) == 1

    # Running it again does not fail on what exists, and does not duplicate it.
    again = run_demo(server, "--history", "1m")
    assert again.returncode == 0, again.stdout + again.stderr
    names = [s["name"] for s in api.get("/api/oncall/schedules").json()["items"]]
    assert names.count("Shop primary on-call") == 1
    assert [s["name"] for s in api.get("/api/slo").json()["items"]].count(
        "checkout-availability"
    ) == 1
    api.close()

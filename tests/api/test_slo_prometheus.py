"""PromQL SLIs against a real Prometheus (Debian package `prometheus`): a synthetic 5% error
ratio from recording rules, data-source errors recorded instead of numbers."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from sentinel.alerting.config import AlertingSettings
from sentinel.slo.config import SloSettings
from sentinel.slo.tasks import evaluation_cycle
from sentinel.storage.engine import Database
from tests.conftest import require_tool
from tests.e2e.conftest import free_port

PROMETHEUS = shutil.which("prometheus")


@pytest.fixture(scope="module")
def prometheus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Prometheus recording 95 good of 100 requests per minute, every second."""
    require_tool(PROMETHEUS, "prometheus is not installed (apt-get install prometheus)")
    where = tmp_path_factory.mktemp("prometheus")
    (where / "rules.yml").write_text(
        """
groups:
  - name: slo
    interval: 1s
    rules:
      - {record: "checkout:requests_good:per_minute", expr: "vector(95)"}
      - {record: "checkout:requests:per_minute", expr: "vector(100)"}
      - {record: "checkout:requests_wrong:per_minute", expr: "vector(150)"}
"""
    )
    (where / "prometheus.yml").write_text(
        "global: {evaluation_interval: 1s}\nrule_files: [rules.yml]\n"
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (where / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={where / 'prometheus.yml'}",
            f"--storage.tsdb.path={where / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=where,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(
                    f"{url}/api/v1/query", params={"query": "checkout:requests:per_minute"}
                ).json()
                if answer["data"]["result"]:
                    break
            except (httpx.HTTPError, KeyError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError("Prometheus did not start recording in 30 s")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


async def cycle(db: Database) -> None:
    async with db.transaction() as session:
        await evaluation_cycle(session, datetime.now(UTC), SloSettings(), AlertingSettings())


def promql(url: str, good: str, total: str = "checkout:requests:per_minute") -> dict[str, Any]:
    return {"source": "promql", "url": url, "good_query": good, "total_query": total}


async def test_promql_sli_from_a_real_prometheus(
    client: httpx.AsyncClient, db: Database, admin_headers: dict[str, str], prometheus_url: str
) -> None:
    created = await client.post(
        "/api/slo",
        headers=admin_headers,
        json={
            "name": "checkout-promql",
            "service": "checkout",
            "target": 0.9,
            "window": "7d",
            "sli": promql(prometheus_url, "checkout:requests_good:per_minute"),
        },
    )
    assert created.status_code == 201, created.text
    slo_id = created.json()["id"]
    await cycle(db)
    status = (await client.get(f"/api/slo/{slo_id}/status", headers=admin_headers)).json()
    assert status["source_error"] is None
    assert status["total"] >= 100 and status["total"] % 100 == 0
    assert status["sli"] == pytest.approx(0.95)
    # 5% errors against 10% allowed: half the budget, burning at 0.5.
    assert status["error_budget"]["remaining_ratio"] == pytest.approx(0.5)
    assert status["burn_rates"]["5m"] == pytest.approx(0.5)
    # Measurements are for measurement SLOs only.
    posted = await client.post(
        f"/api/slo/{slo_id}/measurements", headers=admin_headers, json={"good": 1, "total": 1}
    )
    assert posted.status_code == 409


async def test_promql_errors_are_4xx_or_recorded_never_numbers(
    client: httpx.AsyncClient, db: Database, admin_headers: dict[str, str], prometheus_url: str
) -> None:
    # A query Prometheus cannot parse is refused when the SLO is defined.
    bad = await client.post(
        "/api/slo",
        headers=admin_headers,
        json={
            "name": "bad",
            "service": "checkout",
            "target": 0.9,
            "sli": promql(prometheus_url, "sum(rate(http_requests_total[1m])"),
        },
    )
    assert bad.status_code == 422, bad.text
    assert "good_query" in bad.json()["detail"] and "parse error" in bad.json()["detail"]

    # A server that is down, and good > total, are recorded as source errors.
    down = f"http://127.0.0.1:{free_port()}"
    ids = {}
    for name, sli in (
        ("down", promql(down, "checkout:requests_good:per_minute")),
        ("inverted", promql(prometheus_url, "checkout:requests_wrong:per_minute")),
    ):
        created = await client.post(
            "/api/slo",
            headers=admin_headers,
            json={"name": name, "service": "checkout", "target": 0.9, "sli": sli},
        )
        assert created.status_code == 201, created.text
        ids[name] = created.json()["id"]
    await cycle(db)
    for name, fragment in (("down", "cannot reach"), ("inverted", "exceeds total")):
        status = (await client.get(f"/api/slo/{ids[name]}/status", headers=admin_headers)).json()
        assert fragment in (status["source_error"] or ""), status["source_error"]
        assert status["total"] == 0 and status["sli"] is None
        listed = (await client.get(f"/api/slo/{ids[name]}", headers=admin_headers)).json()
        assert listed["source_error_at"] is not None

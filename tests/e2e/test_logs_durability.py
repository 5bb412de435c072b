"""Acknowledged means durable: records answered 2xx survive a SIGKILL of the server, and
the derive worker resumes from its cursor after the restart, mining every record once."""

from __future__ import annotations

import concurrent.futures
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import start_server, stop_server
from tests.logs_helpers import record

pytestmark = pytest.mark.e2e


def _post(url: str, headers: dict[str, str], batch: list[dict[str, Any]]) -> int:
    try:
        response = httpx.post(f"{url}/api/logs/ingest", json=batch, headers=headers, timeout=30)
    except httpx.HTTPError:
        return 0  # not acknowledged: the server died first
    return int(response.json()["accepted"]) if response.status_code == 200 else 0


def test_acknowledged_records_survive_a_kill(database_url: str, tmp_path: Path) -> None:
    first = start_server(database_url, tmp_path / "first")
    headers = first.ingest_headers
    batches = [
        [record(f"order {b}-{i} packed by worker {i % 7}", service_name="warehouse")
         for i in range(500)]
        for b in range(40)
    ]  # fmt: skip
    acknowledged = 0
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(_post, first.url, headers, b) for b in batches]
        for done, _future in enumerate(concurrent.futures.as_completed(futures), 1):
            if done == 5:
                break
        first.process.send_signal(signal.SIGKILL)  # mid-stream, no clean shutdown
        first.process.wait()
        acknowledged = sum(f.result() for f in futures)
    assert acknowledged > 0
    second = start_server(database_url, tmp_path / "second")
    try:
        admin = second.admin_headers()

        def state() -> dict[str, Any]:
            body: dict[str, Any] = httpx.get(
                f"{second.url}/api/logs/search",
                params={"service_name": "warehouse", "limit": 1},
                headers=admin,
            ).json()
            return body

        deadline = time.monotonic() + 60
        while state()["index"]["pending_records"] and time.monotonic() < deadline:
            time.sleep(0.3)
        stats = httpx.get(
            f"{second.url}/api/logs/statistics", params={"since": "1h"}, headers=admin
        ).json()
        stored = stats["by_service"].get("warehouse", 0)
        # Nothing acknowledged is lost (a request in flight at the kill may have
        # committed without its answer arriving: stored can exceed acknowledged).
        assert stored >= acknowledged
        assert state()["index"]["pending_records"] == 0
        patterns = httpx.get(f"{second.url}/api/logs/patterns", headers=admin).json()["items"]
        assert sum(p["count"] for p in patterns) == stored  # every record mined once
    finally:
        stop_server(second)

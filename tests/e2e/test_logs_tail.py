"""Live tail over server-sent events against a real server, both databases: a streaming
HTTP client reads /api/logs/tail while lines are ingested through the API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import LiveServer, start_server, stop_server

FAST = {"SENTINEL_LOGS_TAIL_POLL_SECONDS": "0.2", "SENTINEL_LOGS_TAIL_HEARTBEAT_SECONDS": "1"}


class Stream:
    def __init__(self, lines: AsyncIterator[str]) -> None:
        self._lines = lines
        self.comments: list[str] = []

    async def next_event(self, wait_s: float = 10.0) -> dict[str, Any]:
        async def read() -> dict[str, Any]:
            event: dict[str, Any] = {}
            async for line in self._lines:
                if line.startswith(":"):
                    self.comments.append(line[1:].strip())
                elif line.startswith("event: "):
                    event["event"] = line[7:]
                elif line.startswith("id: "):
                    event["id"] = line[4:]
                elif line.startswith("data: "):
                    event["data"] = json.loads(line[6:])
                elif line == "" and "data" in event:
                    return event
            raise AssertionError("the stream ended")

        return await asyncio.wait_for(read(), wait_s)

    async def comment(self, text: str, wait_s: float = 5.0) -> None:
        async def read() -> None:
            async for line in self._lines:
                if line == f": {text}":
                    return
                assert not line.startswith("data: "), f"unexpected event data: {line}"

        await asyncio.wait_for(read(), wait_s)


@asynccontextmanager
async def tail(server: LiveServer, headers: dict[str, str], **params: Any) -> AsyncIterator[Stream]:
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(30, read=30)) as client,
        client.stream(
            "GET", f"{server.url}/api/logs/tail", params=params, headers=headers
        ) as response,
    ):
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        yield Stream(response.aiter_lines())


async def _ingest(server: LiveServer, *records: dict[str, Any]) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.post(
            "/api/logs/ingest", json=list(records), headers=server.ingest_headers
        )
        assert response.status_code == 200 and response.json()["accepted"] == len(records)


def line(message: str, service: str = "payments", level: str = "ERROR", **extra: Any) -> Any:
    return {"message": message, "service_name": service, "level": level, **extra}


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    live = start_server(database_url, tmp_path / "server", FAST)
    try:
        yield live
    finally:
        stop_server(live)


async def test_tail_streams_new_matching_lines_with_heartbeats(server: LiveServer) -> None:
    admin = server.admin_headers()
    async with httpx.AsyncClient(base_url=server.url) as anonymous:
        assert (await anonymous.get("/api/logs/tail")).status_code == 401
        bad = await anonymous.get("/api/logs/tail", params={"query": "level:loud"}, headers=admin)
        assert bad.status_code == 400 and "cannot be read" in bad.json()["detail"]
    await _ingest(server, line("warming up", level="INFO"))  # payments is a known service
    async with tail(server, admin, query="errors from payments in the last hour") as stream:
        header = await stream.next_event()
        assert header["event"] == "query" and header["data"]["natural_language"] is True
        assert header["data"]["query"]["services"] == ["payments"]
        assert header["data"]["query"]["levels"] == ["ERROR", "FATAL"]
        assert "start_ns" not in header["data"]["query"]  # a tail has no time range
        # Nothing new yet: only heartbeats (every second here).
        await stream.comment("keep-alive")
        trace = "4bf92f3577b34da6a3ce929d0e0e4736"
        await _ingest(
            server,
            line("payment ok", level="INFO"),
            line("checkout failed", service="checkout"),
            line("database connection pool exhausted", trace_id=trace, attributes={"pool": "main"}),
        )
        got = await stream.next_event()
        assert got["event"] == "log"
        data = got["data"]
        assert data["message"] == "database connection pool exhausted"
        assert data["service_name"] == "payments" and data["level"] == "ERROR"
        assert data["trace_id"] == trace and data["attributes"] == {"pool": "main"}
        assert got["id"] == str(data["id"])
        last_id = int(got["id"])
        await _ingest(server, line("card declined"))
        assert (await stream.next_event())["data"]["message"] == "card declined"
        last_id += 1

    # Missed while disconnected: a reconnect with Last-Event-ID gets it, then live lines.
    await _ingest(server, line("missed while away"), line("not an error", level="WARN"))
    resume = {**admin, "Last-Event-ID": str(last_id)}
    async with tail(server, resume, query="errors from payments") as stream:
        assert (await stream.next_event())["event"] == "query"
        assert (await stream.next_event())["data"]["message"] == "missed while away"

    # The search language: a phrase, an exclusion and an attribute.
    async with tail(server, admin, query='"pool exhausted" -replica pool:main', nl="false") as s:
        assert (await s.next_event())["data"]["query"]["phrases"] == ["pool exhausted"]
        await _ingest(
            server,
            line("connection pool exhausted on replica", attributes={"pool": "main"}),
            line("connection pool exhausted", attributes={"pool": "batch"}),
            line("db pool exhausted again", attributes={"pool": "main"}),
            line("connection pool exhausted", service="checkout", attributes={"pool": "main"}),
        )
        first = await s.next_event()
        second = await s.next_event()
        assert [first["data"]["message"], second["data"]["message"]] == [
            "db pool exhausted again",
            "connection pool exhausted",
        ]
        assert second["data"]["service_name"] == "checkout"


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_a_burst_is_bounded_and_streams_are_capped(database_url: str, tmp_path: Path) -> None:
    env = {**FAST, "SENTINEL_LOGS_TAIL_BATCH": "5", "SENTINEL_LOGS_TAIL_MAX_STREAMS": "1"}
    server = start_server(database_url, tmp_path / "server", env)
    try:
        admin = server.admin_headers()
        async with tail(server, admin, query="level:error") as stream:
            assert (await stream.next_event())["event"] == "query"
            async with httpx.AsyncClient(base_url=server.url, headers=admin) as api:
                second = await api.get("/api/logs/tail")
                assert second.status_code == 429 and "Retry-After" in second.headers
            await _ingest(server, *[line(f"burst line {i}") for i in range(12)])
            skipped = await stream.next_event()
            assert skipped["event"] == "skipped" and skipped["data"] == {"skipped": 7}
            newest = [(await stream.next_event())["data"]["message"] for _ in range(5)]
            assert newest == [f"burst line {i}" for i in range(7, 12)]
            await _ingest(server, line("after the burst"))
            assert (await stream.next_event())["data"]["message"] == "after the burst"
        # The closed stream frees its place.
        await asyncio.sleep(0.5)
        async with tail(server, admin) as again:
            assert (await again.next_event())["event"] == "query"
    finally:
        stop_server(server)

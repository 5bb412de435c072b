"""The war-room feed over server-sent events, against a real server (both databases),
and across two replicas on PostgreSQL (LISTEN/NOTIFY)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import LiveServer, start_server, stop_server


class EventReader:
    def __init__(self, lines: AsyncIterator[str]) -> None:
        self._lines = lines

    async def comment(self, text: str) -> None:
        async for line in self._lines:
            if line == f": {text}":
                return

    async def next_event(self, wait_s: float = 10.0) -> dict[str, Any]:
        async def read() -> dict[str, Any]:
            event: dict[str, Any] = {}
            async for line in self._lines:
                if line.startswith("event: "):
                    event["event"] = line[7:]
                elif line.startswith("id: "):
                    event["id"] = line[4:]
                elif line.startswith("data: "):
                    event["data"] = json.loads(line[6:])
                elif line == "" and "data" in event:
                    return event
            raise AssertionError("the stream ended")

        return await asyncio.wait_for(read(), wait_s)


@asynccontextmanager
async def sse(url: str, headers: dict[str, str]) -> AsyncIterator[EventReader]:
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(30, read=30)) as client,
        client.stream("GET", url, headers=headers) as response,
    ):
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = EventReader(response.aiter_lines())
        await reader.comment("connected")
        yield reader


async def test_incident_stream_pushes_timeline_entries_live(live_server: LiveServer) -> None:
    admin = live_server.admin_headers()
    async with httpx.AsyncClient(base_url=live_server.url, headers=admin) as api:
        assert (await api.get("/api/incidents/424242/stream")).status_code == 404
        async with httpx.AsyncClient(base_url=live_server.url) as anonymous:
            assert (await anonymous.get("/api/incidents/stream")).status_code == 401
        async with sse(f"{live_server.url}/api/incidents/stream", admin) as everything:
            created = (await api.post("/api/incidents", json={"title": "DB down"})).json()
            first = await everything.next_event()
            assert first["event"] == "timeline"
            assert first["data"]["incident_id"] == created["id"]
            assert first["data"]["kind"] == "created"
            iid = created["id"]
            async with sse(f"{live_server.url}/api/incidents/{iid}/stream", admin) as room:
                r = await api.post(
                    f"/api/incidents/{iid}/updates", json={"message": "Failing over"}
                )
                assert r.status_code == 201
                got = await room.next_event()
                assert got["data"]["message"] == "Failing over" and got["data"]["kind"] == "update"
                assert got["data"]["author"] == "admin@example.com"
                assert got["id"] == str(r.json()["id"])
                await api.post(f"/api/incidents/{iid}/status", json={"status": "acknowledged"})
                status = await room.next_event()
                assert status["data"]["status"] == "acknowledged"
                # A rejected change publishes nothing: the next event is the next real one.
                bad = await api.post(f"/api/incidents/{iid}/status", json={"status": "closed"})
                assert bad.status_code == 409
                await api.post(f"/api/incidents/{iid}/updates", json={"message": "next"})
                assert (await room.next_event())["data"]["message"] == "next"
            kinds = [(await everything.next_event())["data"]["kind"] for _ in range(3)]
            assert kinds == ["update", "status", "update"]
        # Reconnecting with Last-Event-ID replays what was missed, in order.
        replay_headers = {**admin, "Last-Event-ID": first["id"]}
        async with sse(f"{live_server.url}/api/incidents/{iid}/stream", replay_headers) as again:
            replayed = [(await again.next_event())["data"]["kind"] for _ in range(3)]
            assert replayed == ["update", "status", "update"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_events_cross_replicas_on_postgresql(database_url: str, tmp_path: Path) -> None:
    """Replicas share one database only on PostgreSQL (LISTEN/NOTIFY carries the events)."""
    a = start_server(database_url, tmp_path / "a")
    b = start_server(database_url, tmp_path / "b")
    try:
        admin = a.admin_headers()
        async with sse(f"{a.url}/api/incidents/stream", admin) as on_a:
            async with httpx.AsyncClient(base_url=b.url, headers=b.admin_headers()) as api_b:
                created = await api_b.post("/api/incidents", json={"title": "Written on B"})
                assert created.status_code == 201
            got = await on_a.next_event()
            assert got["data"]["incident_id"] == created.json()["id"]
    finally:
        stop_server(a)
        stop_server(b)


async def test_a_deleted_incident_is_announced_without_an_event_id(
    live_server: LiveServer,
) -> None:
    admin = live_server.admin_headers()
    async with httpx.AsyncClient(base_url=live_server.url, headers=admin) as api:
        iid = (await api.post("/api/incidents", json={"title": "Mistake"})).json()["id"]
        async with sse(f"{live_server.url}/api/incidents/stream", admin) as everything:
            assert (await api.delete(f"/api/incidents/{iid}")).status_code == 204
            gone = await everything.next_event()
    assert gone["event"] == "deleted" and gone["data"] == {"type": "deleted", "incident_id": iid}
    # No `id:` line: an empty one would reset the client's Last-Event-ID.
    assert "id" not in gone

"""The war-room stream never hands out an event id above a timeline entry that may still
commit (PostgreSQL hands ids out before commit), so a client reconnecting with its
Last-Event-ID gets every entry, the late ones too. A real server and a second real
connection (the slow writer) that holds its transaction open; SQLite has one writer, so
ids commit in order there and this runs on PostgreSQL only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from sentinel.incidents import timeline
from sentinel.incidents.models import Incident
from sentinel.storage.all_models import load_all_models
from sentinel.storage.engine import Database
from tests.e2e.conftest import start_server, stop_server
from tests.e2e.test_incidents_sse import sse

H = dict[str, str]


@asynccontextmanager
async def raw_stream(url: str, headers: H) -> AsyncIterator[AsyncIterator[str]]:
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(30, read=30)) as client,
        client.stream("GET", url, headers=headers) as response,
    ):
        assert response.status_code == 200, await response.aread()
        yield response.aiter_lines()


async def ids_until_quiet(url: str, headers: H) -> list[str]:
    """The event ids a client gets until the stream first has nothing to send."""
    ids: list[str] = []
    async with raw_stream(url, headers) as lines:
        async for line in lines:
            if line.startswith("id: "):
                ids.append(line[4:])
            elif line == ": keep-alive":
                return ids
    raise AssertionError("the stream ended")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_an_entry_committed_late_reaches_a_client_that_reconnects(
    database_url: str, tmp_path: Path
) -> None:
    load_all_models()
    server = start_server(
        database_url, tmp_path / "server", {"SENTINEL_INCIDENT_SSE_HEARTBEAT_SECONDS": "0.5"}
    )
    slow = Database(database_url)
    try:
        admin = server.admin_headers()
        async with httpx.AsyncClient(base_url=server.url, headers=admin) as api:
            # The slow writer adds to one incident, the API to another (an update to the
            # same incident would wait for the slow writer's row lock on it).
            quiet = (await api.post("/api/incidents", json={"title": "Disk full"})).json()["id"]
            iid = (await api.post("/api/incidents", json={"title": "DB down"})).json()["id"]
            entries = (await api.get(f"/api/incidents/{iid}/timeline")).json()["items"]
            last_id = str(entries[-1]["id"])  # the client has seen both incidents open
            stream_url = f"{server.url}/api/incidents/stream"
            async with slow.transaction() as late:
                incident = await late.get(Incident, quiet)
                assert incident is not None
                await timeline.add_entry(
                    late, incident, "update", "slow@example.com", "written late", datetime.now(UTC)
                )
                posted = await api.post(
                    f"/api/incidents/{iid}/updates", json={"message": "Failing over"}
                )
                assert posted.status_code == 201
                assert posted.json()["id"] > int(last_id) + 1  # above the late entry's id
                # The client reconnects while the late entry is in flight, reads until
                # the stream goes quiet, and drops: it keeps the last id it was given.
                got = await ids_until_quiet(stream_url, {**admin, "Last-Event-ID": last_id})
                last_id = got[-1] if got else last_id
            # The late entry has committed; the client reconnects with its Last-Event-ID.
            async with sse(stream_url, {**admin, "Last-Event-ID": last_id}) as again:
                await api.post(f"/api/incidents/{iid}/updates", json={"message": "next"})
                messages: list[str] = []
                while not messages or messages[-1] != "next":
                    messages.append((await again.next_event())["data"]["message"])
    finally:
        await slow.dispose()
        stop_server(server)
    assert messages == ["written late", "Failing over", "next"]

"""The war-room stream never hands out an event id above a timeline entry that may still
commit (PostgreSQL hands ids out before commit), so a client reconnecting with its
Last-Event-ID gets every entry, the late ones too, and a connected client gets them in
id order. A real server and a second real connection (the slow writer) that holds its
transaction open; SQLite has one writer, so ids commit in order there and the late-commit
tests run on PostgreSQL only. The last test (both databases) holds several streams on one
incident, which share one reader of the timeline per server process."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.incidents import timeline
from sentinel.incidents.models import Incident
from sentinel.storage.all_models import load_all_models
from sentinel.storage.engine import Database
from tests.e2e.conftest import LiveServer, start_server, stop_server
from tests.e2e.test_incidents_sse import sse

H = dict[str, str]


@pytest.fixture
def war_room(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """A server whose streams send a keep-alive every 0.5 s (how a test sees them quiet)."""
    load_all_models()
    server = start_server(
        database_url, tmp_path / "server", {"SENTINEL_INCIDENT_SSE_HEARTBEAT_SECONDS": "0.5"}
    )
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture
async def slow(database_url: str) -> AsyncIterator[Database]:
    """A second connection to the database: the writer that holds its transaction open."""
    db = Database(database_url)
    try:
        yield db
    finally:
        await db.dispose()


@asynccontextmanager
async def raw_stream(url: str, headers: H) -> AsyncIterator[AsyncIterator[str]]:
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(30, read=30)) as client,
        client.stream("GET", url, headers=headers) as response,
    ):
        assert response.status_code == 200, await response.aread()
        yield response.aiter_lines()


async def messages_until(lines: AsyncIterator[str], last: str | None) -> list[str]:
    """The messages a stream sends until the one `last`, or (None) until it goes quiet."""
    messages: list[str] = []
    async for line in lines:
        if line.startswith("data: "):
            messages.append(json.loads(line[6:])["message"])
            if messages[-1] == last:
                return messages
        elif line == ": keep-alive" and last is None:
            return messages
    raise AssertionError("the stream ended")


async def add_late_entry(
    late: AsyncSession, incident_id: int, message: str = "written late"
) -> None:
    incident = await late.get(Incident, incident_id)
    assert incident is not None
    await timeline.add_entry(
        late, incident, "update", "slow@example.com", message, datetime.now(UTC)
    )


async def two_incidents(api: httpx.AsyncClient) -> tuple[int, int, str]:
    """Two open incidents: the slow writer adds to the first, the API to the second (an
    update to the same incident would wait for the slow writer's row lock on it); and the
    id of the newest timeline entry."""
    quiet = (await api.post("/api/incidents", json={"title": "Disk full"})).json()["id"]
    iid = (await api.post("/api/incidents", json={"title": "DB down"})).json()["id"]
    entries = (await api.get(f"/api/incidents/{iid}/timeline")).json()["items"]
    return quiet, iid, str(entries[-1]["id"])


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


@pytest.mark.only_on("postgresql")
async def test_an_entry_committed_late_reaches_a_client_that_reconnects(
    war_room: LiveServer, slow: Database
) -> None:
    server = war_room
    admin = server.admin_headers()
    async with httpx.AsyncClient(base_url=server.url, headers=admin) as api:
        quiet, iid, last_id = await two_incidents(api)  # the client has seen both open
        stream_url = f"{server.url}/api/incidents/stream"
        async with slow.transaction() as late:
            await add_late_entry(late, quiet)
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
    assert messages == ["written late", "Failing over", "next"]


@pytest.mark.only_on("postgresql")
async def test_a_connected_client_gets_an_entry_committed_late_in_id_order(
    war_room: LiveServer, slow: Database
) -> None:
    server = war_room
    admin = server.admin_headers()
    async with httpx.AsyncClient(base_url=server.url, headers=admin) as api:
        quiet, iid, last_id = await two_incidents(api)
        seen = {**admin, "Last-Event-ID": last_id}
        async with raw_stream(f"{server.url}/api/incidents/stream", seen) as lines:
            async with slow.transaction() as late:
                await add_late_entry(late, quiet)
                await api.post(f"/api/incidents/{iid}/updates", json={"message": "Failing over"})
                # Until the slow writer ends, the stream sends nothing above its entry.
                before = await messages_until(lines, None)
            await api.post(f"/api/incidents/{iid}/updates", json={"message": "next"})
            after = await messages_until(lines, "next")
    assert before == []
    assert after == ["written late", "Failing over", "next"]


@pytest.mark.only_on("postgresql")
async def test_the_war_room_of_one_incident_waits_for_its_own_late_entry(
    war_room: LiveServer, slow: Database, database_url: str
) -> None:
    """Two writers on the same incident (no row lock between them): the one with the lower
    id commits last. A client connected to that incident's stream gets both in id order
    once the late one commits, and a client that reconnects in between is replayed it."""
    server = war_room
    fast = Database(database_url)
    try:
        admin = server.admin_headers()
        async with httpx.AsyncClient(base_url=server.url, headers=admin) as api:
            iid = (await api.post("/api/incidents", json={"title": "DB down"})).json()["id"]
            entries = (await api.get(f"/api/incidents/{iid}/timeline")).json()["items"]
            seen = {**admin, "Last-Event-ID": str(entries[-1]["id"])}
            room = f"{server.url}/api/incidents/{iid}/stream"
            async with raw_stream(room, admin) as lines:
                await messages_until(lines, None)  # connected, and quiet
                async with slow.transaction() as late:
                    await add_late_entry(late, iid)
                    async with fast.transaction() as quick:
                        await add_late_entry(quick, iid, "written fast")
                    before = await messages_until(lines, None)
                    got = await ids_until_quiet(room, seen)
                    reconnected = {
                        **admin,
                        "Last-Event-ID": got[-1] if got else seen["Last-Event-ID"],
                    }
                after = await messages_until(lines, "written fast")
            async with sse(room, reconnected) as again:
                await api.post(f"/api/incidents/{iid}/updates", json={"message": "next"})
                replayed: list[str] = []
                while not replayed or replayed[-1] != "next":
                    replayed.append((await again.next_event())["data"]["message"])
    finally:
        await fast.dispose()
    assert before == [] and got == []
    assert after == ["written late", "written fast"]
    assert replayed == ["written late", "written fast", "next"]


async def test_streams_on_one_incident_each_get_every_entry_once_in_order(
    database_url: str, tmp_path: Path
) -> None:
    """Three clients on one war room, one of them reconnecting half-way with its
    Last-Event-ID: each ends up with every update once, in the order written."""
    load_all_models()
    server = start_server(database_url, tmp_path / "server")
    try:
        admin = server.admin_headers()
        async with httpx.AsyncClient(base_url=server.url, headers=admin) as api:
            iid = (await api.post("/api/incidents", json={"title": "DB down"})).json()["id"]
            room = f"{server.url}/api/incidents/{iid}/stream"
            sent = [f"update {n}" for n in range(6)]
            async with sse(room, admin) as one, sse(room, admin) as two:
                async with sse(room, admin) as three:
                    for message in sent[:3]:
                        await api.post(f"/api/incidents/{iid}/updates", json={"message": message})
                    first = [await three.next_event() for _ in range(3)]
                for message in sent[3:]:
                    await api.post(f"/api/incidents/{iid}/updates", json={"message": message})
                resumed = {**admin, "Last-Event-ID": first[-1]["id"]}
                async with sse(room, resumed) as three_again:
                    rest = [await three_again.next_event() for _ in range(3)]
                    await api.post(f"/api/incidents/{iid}/updates", json={"message": "last"})
                    rest.append(await three_again.next_event())
                got_one = [(await one.next_event())["data"]["message"] for _ in range(7)]
                got_two = [(await two.next_event())["data"]["message"] for _ in range(7)]
    finally:
        stop_server(server)
    assert got_one == got_two == [*sent, "last"]
    assert [e["data"]["message"] for e in [*first, *rest]] == [*sent, "last"]
    ids = [int(e["id"]) for e in [*first, *rest]]
    assert ids == sorted(set(ids))

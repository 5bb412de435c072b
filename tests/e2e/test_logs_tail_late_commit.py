"""The live tail on PostgreSQL sends a line whose transaction commits after later lines
(ids are handed out before commit), against a real server: the slow writer is a second
connection of this test process, holding its insert open while the API stores later
lines. The old settle time is set to 0, so nothing waits for a clock."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from sentinel.logs import writer
from sentinel.logs.brief import decode_json
from sentinel.storage.engine import Database
from tests.e2e.conftest import LiveServer, start_server, stop_server
from tests.e2e.test_logs_tail import FAST, Stream, _ingest, line, tail

pytestmark = pytest.mark.only_on("postgresql")


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer: ids become visible in the order they commit")
    live = start_server(
        database_url, tmp_path / "server", {**FAST, "SENTINEL_LOGS_TAIL_SETTLE_SECONDS": "0"}
    )
    try:
        yield live
    finally:
        stop_server(live)


async def messages_until_heartbeat(stream: Stream, wait_s: float = 10.0) -> list[str]:
    """The messages of the log lines sent before the next keep-alive comment."""

    async def read() -> list[str]:
        out: list[str] = []
        async for raw in stream._lines:
            if raw == ": keep-alive":
                return out
            if raw.startswith("data: "):
                out.append(orjson.loads(raw[6:])["message"])
        raise AssertionError("the stream ended")

    return await asyncio.wait_for(read(), wait_s)


async def test_a_line_committed_late_is_still_tailed(server: LiveServer) -> None:
    slow = Database(server.env["SENTINEL_DATABASE_URL"])
    try:
        async with tail(server, server.admin_headers(), query="level:error", nl="false") as s:
            assert (await s.next_event())["event"] == "query"
            late = decode_json(orjson.dumps([line("written first, committed last")]))
            async with slow.write_transaction() as session:
                await writer.insert_rows(session, late.rows)  # takes its id, holds it open
                await _ingest(server, line("written second, committed first"))
                # The stream polls on past the later line (a heartbeat proves it).
                sent = await messages_until_heartbeat(s)
            while len(sent) < 2:
                sent.append((await s.next_event())["data"]["message"])
            # Both lines, in id order: the late one is not skipped.
            assert sent == ["written first, committed last", "written second, committed first"]
    finally:
        await slow.dispose()


async def test_a_line_that_rolls_back_does_not_stall_the_tail(server: LiveServer) -> None:
    slow = Database(server.env["SENTINEL_DATABASE_URL"])
    try:
        async with tail(server, server.admin_headers(), query="level:error", nl="false") as s:
            assert (await s.next_event())["event"] == "query"
            doomed = decode_json(orjson.dumps([line("never committed")]))
            with pytest.raises(RuntimeError):
                async with slow.write_transaction() as session:
                    await writer.insert_rows(session, doomed.rows)
                    await _ingest(server, line("after the rolled-back one"))
                    raise RuntimeError("the slow request fails")
            got = await s.next_event()
            assert got["data"]["message"] == "after the rolled-back one"
    finally:
        await slow.dispose()

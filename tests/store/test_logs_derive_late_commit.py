"""The derive worker never passes a log line whose transaction commits late.

PostgreSQL hands out ids before commit: a slow ingest (a second real connection that
holds its transaction open) can commit a line with an id below lines already visible.
The worker used to take rows up to the highest id it had seen 2 s earlier and then pass
any gap; a line that committed later than that never got its pattern. Now it reads only
up to storage/commit_order.py's high water. SQLite has one writer, so this runs on
PostgreSQL only.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from sentinel.logs.derive import Miner
from sentinel.logs.writer import insert_rows
from sentinel.storage.engine import Database
from tests.logs_helpers import derive_now

pytestmark = pytest.mark.only_on("postgresql")


def _row(body: str) -> tuple[object, ...]:
    now = time.time_ns()
    return (now, now, "checkout", 17, "ERROR", body, "", "", "{}", "{}")


async def _patterns(db: Database) -> dict[str, int | None]:
    async with db.transaction() as s:
        rows = (await s.execute(text("SELECT body, pattern_id FROM log_records"))).all()
    return {body: pattern for body, pattern in rows}


async def test_a_line_committed_late_still_gets_its_pattern(db: Database, slow: Database) -> None:
    miner = Miner()
    async with slow.transaction() as late:
        # The slow ingest takes its id first and has not committed yet ...
        await insert_rows(late, [_row("payment 41 declined by the card issuer")])
        # ... while a later line commits with a higher id and the worker runs past it.
        async with db.transaction() as s:
            await insert_rows(s, [_row("payment 42 declined by the card issuer")])
        await derive_now(db, miner)
    await derive_now(db, miner)

    patterns = await _patterns(db)
    assert set(patterns) == {
        "payment 41 declined by the card issuer",
        "payment 42 declined by the card issuer",
    }
    assert None not in patterns.values(), patterns
    assert len(set(patterns.values())) == 1  # one template for both lines


async def test_a_line_that_rolls_back_does_not_stall_the_worker(
    db: Database, slow: Database
) -> None:
    miner = Miner()
    with pytest.raises(RuntimeError):
        async with slow.transaction() as doomed:
            await insert_rows(doomed, [_row("this line never commits")])
            raise RuntimeError("the client went away")
    async with db.transaction() as s:
        await insert_rows(s, [_row("disk full on /var/lib/postgresql")])
    await derive_now(db, miner)

    patterns = await _patterns(db)
    assert list(patterns) == ["disk full on /var/lib/postgresql"]
    assert patterns["disk full on /var/lib/postgresql"] is not None

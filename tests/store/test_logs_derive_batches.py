"""The derive worker's writes, on both databases: every line gets the pattern a miner
gives it in id order, also across ids with no line (deleted lines) and a batch cut short
by a wide gap; the per-minute counts and pattern counts add up to the lines; on SQLite
each trace's refs are the batch's smallest and largest id of it and the text index finds
every line."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from sqlalchemy import text

from sentinel.logs import derive, trace_refs
from sentinel.logs.derive import Miner
from sentinel.logs.drain import Drain
from sentinel.storage.engine import Database
from tests.logs_helpers import derive_now

TRACES = [f"{n:032x}" for n in range(1, 5)]
# Ids with a line: a run, a few holes, then far past a gap wider than a batch's span.
IDS = [*range(1, 40), *range(45, 60, 2), *range(30_001, 30_031)]


def _line(record_id: int, now_ns: int) -> dict[str, Any]:
    body = (
        f"user {record_id} logged in"
        if record_id % 3
        else f"payment {record_id} declined after {record_id * 7} ms"
    )
    return {
        "id": record_id,
        "time_ns": now_ns + record_id * 10**9,  # a line a second: several minutes
        "observed_ns": now_ns,
        "service": "checkout" if record_id % 2 else "payments",
        "severity_number": 17 if record_id % 5 == 0 else 9,
        "severity_text": "INFO",
        "body": body,
        "trace_id": TRACES[record_id % 4] if record_id % 2 == 0 else "",
        "span_id": "",
        "attributes": "{}",
        "resource": "{}",
    }


async def test_lines_across_holes_and_a_wide_gap_are_derived_as_one_by_one(
    database_url: str,
) -> None:
    db = Database(database_url)
    try:
        now_ns = time.time_ns() - 3600 * 10**9
        lines = [_line(i, now_ns) for i in IDS]
        async with db.transaction() as session:
            await session.execute(
                text(
                    "INSERT INTO log_records (id, time_ns, observed_ns, service, severity_number, "
                    "severity_text, body, trace_id, span_id, attributes, resource) VALUES "
                    "(:id, :time_ns, :observed_ns, :service, :severity_number, :severity_text, "
                    ":body, :trace_id, :span_id, :attributes, :resource)"
                ),
                lines,
            )
        miner = Miner()
        assert await derive_now(db, miner) == len(IDS)

        drain = Drain()
        expected = {line["id"]: drain.add(line["body"])[0].id for line in lines}
        async with db.transaction() as session:
            stored = dict(
                (await session.execute(text("SELECT id, pattern_id FROM log_records"))).all()
            )
            minutes = (
                await session.execute(
                    text("SELECT pattern_id, sum(count), sum(error_count) FROM log_pattern_minutes "
                         "GROUP BY pattern_id")
                )
            ).all()  # fmt: skip
            patterns = (
                await session.execute(text("SELECT id, count, error_count FROM log_patterns"))
            ).all()
            version = await session.scalar(text("SELECT version FROM log_derive_cursor"))
        assert stored == expected
        # The gap is wider than SPAN_ROWS batches of rows: the batch before it stops short.
        assert derive.SPAN_ROWS * derive.BATCH_ROWS < 30_001 - 59
        assert version == 2
        per_pattern = Counter(expected.values())
        errors = Counter(expected[line["id"]] for line in lines if line["severity_number"] >= 17)
        want = sorted((p, n, errors[p]) for p, n in per_pattern.items())
        assert sorted(tuple(r) for r in minutes) == want
        assert sorted(tuple(r) for r in patterns) == want

        if db.dialect == "sqlite":
            async with db.transaction() as session:
                refs = (
                    await session.execute(
                        text("SELECT trace_id, first_id, last_id FROM log_trace_refs")
                    )
                ).all()
                found = (
                    await session.execute(
                        text("SELECT rowid FROM log_fts WHERE log_fts MATCH 'logged OR declined'")
                    )
                ).all()
            # One batch per side of the gap: each trace has a ref in each.
            before = [(r["id"], r["trace_id"]) for r in lines if r["id"] < 30_000]
            after = [(r["id"], r["trace_id"]) for r in lines if r["id"] > 30_000]
            assert sorted(tuple(r) for r in refs) == sorted(
                trace_refs.of_batch(before) + trace_refs.of_batch(after)
            )
            assert sorted(r[0] for r in found) == IDS
    finally:
        await db.dispose()

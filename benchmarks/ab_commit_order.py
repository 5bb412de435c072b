"""A/B: what the commit-order barrier (storage/commit_order.py) costs on PostgreSQL.

    .venv/bin/python benchmarks/ab_commit_order.py [--url postgresql+asyncpg://...] [--rounds 120]

In a fresh database of its own (created and dropped), alternating which goes first:
1. log writer: one transaction of N log rows through `writer.insert_rows` (takes the
   shared lock in the statement that opens the transaction) against the previous path
   (`SELECT 1` to open it, then the same executemany), N = 1, 100, 1000;
2. alert events: one transaction of N `alert_events` rows through an engine with the
   insert hook (one extra statement per transaction) against a bare engine;
3. reader: `visible_high_water` (max(id) and the lock's holders, one statement) against
   a bare `SELECT max(id)`, nobody writing.
Prints medians in ms and the load average (2 shared cores: compare within one run only).

Not a bench_*.py (run_all.py would take it for a target check).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import orjson
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from sentinel.alerting.models import AlertEvent
from sentinel.logs import writer
from sentinel.logs.brief import decode_json
from sentinel.storage import migrate
from sentinel.storage.commit_order import Followed, visible_high_water
from sentinel.storage.engine import Database

Step = Callable[[], Awaitable[None]]


async def ab(rounds: int, with_it: Step, without: Step) -> tuple[float, float]:
    a: list[float] = []
    b: list[float] = []
    for i in range(rounds):
        for first in (True, False) if i % 2 else (False, True):
            started = time.perf_counter()
            await (with_it if first else without)()
            (a if first else b).append(time.perf_counter() - started)
    return statistics.median(a) * 1e3, statistics.median(b) * 1e3


def show(what: str, medians: tuple[float, float]) -> None:
    on, off = medians
    print(
        f"{what:38s} with {on:8.3f} ms  without {off:8.3f} ms  ratio {on / off:.3f}  "
        f"load {os.getloadavg()[0]:.2f}"
    )


async def run(base: str, rounds: int) -> None:
    name = f"bench_commit_order_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    async with admin.connect() as c:
        await c.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + "/" + name
    db = Database(url)
    bare_engine = create_async_engine(url)
    bare = async_sessionmaker(bare_engine, expire_on_commit=False)
    try:
        await migrate.upgrade(db)
        for n in (1, 100, 1000):
            lines = [{"message": f"line {i} took 12ms", "service_name": "api"} for i in range(n)]
            rows = decode_json(orjson.dumps(lines)).rows

            async def with_lock(rows: list[tuple[object, ...]] = rows) -> None:
                async with db.write_transaction() as s:
                    await writer.insert_rows(s, rows)

            async def select_one(rows: list[tuple[object, ...]] = rows) -> None:
                async with db.write_transaction() as s:
                    driver = await writer.driver_connection(s)
                    await driver.executemany(writer._POSTGRES, rows)

            show(f"log writer, {n} rows/transaction", await ab(rounds, with_lock, select_one))
        for n in (1, 100):
            events = [
                {"kind": "fired", "at": datetime.now(UTC), "actor": "bench", "detail": {}}
                for _ in range(n)
            ]

            async def hooked(events: list[dict[str, object]] = events) -> None:
                async with db.transaction() as s:
                    await s.execute(insert(AlertEvent), events)

            async def unhooked(events: list[dict[str, object]] = events) -> None:
                async with bare() as s, s.begin():
                    await s.execute(insert(AlertEvent), events)

            show(f"alert_events, {n} rows/transaction", await ab(rounds, hooked, unhooked))

        async def probe() -> None:
            async with db.transaction() as s:
                await visible_high_water(s, Followed.LOG_RECORDS)

        async def bare_max() -> None:
            async with db.transaction() as s:
                await s.scalar(text("SELECT max(id) FROM log_records"))

        show("reader: high water vs max(id)", await ab(rounds * 2, probe, bare_max))
    finally:
        await db.dispose()
        await bare_engine.dispose()
        async with admin.connect() as c:
            await c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--rounds", type=int, default=120)
    args = parser.parse_args()
    asyncio.run(run(args.url, args.rounds))


if __name__ == "__main__":
    main()

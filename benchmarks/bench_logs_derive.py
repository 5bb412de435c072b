"""Log derivation in one process: what the derive worker costs per line, by stage.

    .venv/bin/python benchmarks/bench_logs_derive.py [--lines 200000] [--rounds 2]
        [--database-url URL] [--repeat-bodies 0] [--fill-only | --derive-only]

Fills a fresh SQLite file (or the database you name: it must be empty) with `--lines`
log lines from log_factory.py (OTLP protobuf decoded by ingest's own decoder, inserted
through the real writer in batches of 1,000), then times `derive_pending` catching up
from the cursor: lines/s, µs per line (wall clock, and the process's CPU time, which a
loaded machine inflates less), and µs per line in each stage it could wrap
(read, mining, trace refs, pattern_id updates, FTS insert, pattern and minute upserts,
refs insert; "rest" is the cursor, commit and the checks between batches). Each round
after the first fills another `--lines` and derives them with the same (warm) miner, as
the worker does. `--repeat-bodies N` cycles N distinct request bodies (bench_logs.py
cycles 48), so exact messages repeat; 0 makes every batch's messages new.
`--fill-only` stops after filling and `--derive-only` derives what the file holds (one
round): copy a filled file, then profile the derivation alone, e.g.
`py-spy record -o x.txt -f raw -- .venv/bin/python benchmarks/bench_logs_derive.py
--derive-only --database-url sqlite+aiosqlite:////tmp/copy.db`.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import inspect
import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from log_factory import lines, otlp_request

BATCH = 1_000

# (module attribute, stage name): wrapped when the module has it, so the script also runs
# on older trees.
STAGES = (
    ("derive", "_read_batch", "read rows"),
    ("derive", "_mine", "mine (Drain + stats)"),
    ("derive", "mine_batch", "mine (Drain + stats)"),
    ("trace_refs", "of_batch", "trace refs (group)"),
    ("derive", "_save_assignments", "UPDATE pattern_id"),
    ("derive", "_index_text", "FTS5 insert"),
    ("derive", "_save_patterns", "pattern upsert"),
    ("derive", "_save_minutes", "minute upsert"),
    ("trace_refs", "save", "trace refs insert"),
    ("trace_refs", "save_batch", "trace refs insert"),
    ("derive_sqlite", "write_plan", "write (pattern ids, FTS5, upserts, refs, cursor)"),
)


def _timed(fn: Any, name: str, spent: dict[str, float]) -> Any:
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - started

        return run_async

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - started

    return run


def instrument(spent: dict[str, float]) -> list[str]:
    from sentinel.logs import derive, trace_refs

    modules: dict[str, Any] = {"derive": derive, "trace_refs": trace_refs}
    try:  # the SQLite write in one call, since the seventh session
        from sentinel.logs import derive_sqlite

        modules["derive_sqlite"] = derive_sqlite
    except ImportError:
        pass
    names = []
    for module_name, attr, name in STAGES:
        module = modules.get(module_name)
        fn = getattr(module, attr, None)
        if fn is None:
            continue
        wrapped = _timed(fn, name, spent)
        setattr(module, attr, wrapped)  # derive calls both as module attributes
        names.append(name)
    return names


async def fill(db: Any, count: int, first_batch: int, repeat: int) -> float:
    from sentinel.ingest.otlp.logs import decode_protobuf
    from sentinel.logs.writer import insert_rows

    base = (time.time_ns() - 3 * 3600 * 10**9) >> 32 << 32
    bodies: dict[int, bytes] = {}
    started = time.perf_counter()
    for b in range(first_batch, first_batch + count // BATCH):
        seed = b % repeat if repeat else b
        body = bodies.get(seed)
        if body is None:
            body = otlp_request(lines(BATCH, seed=seed), base + (b << 20))
            if repeat:
                bodies[seed] = body
        rows = decode_protobuf(body).rows
        async with db.write_transaction() as session:
            await insert_rows(session, rows)
    return time.perf_counter() - started


async def main_async(args: argparse.Namespace) -> None:
    from sentinel.logs.derive import Miner, derive_pending
    from sentinel.storage import migrate
    from sentinel.storage.engine import Database

    url = args.database_url
    if url is None and args.derive_only:
        raise SystemExit("--derive-only needs --database-url")
    if url is None:
        path = Path(tempfile.mkdtemp(prefix="sentinel-derive-")) / "derive.db"
        url = f"sqlite+aiosqlite:///{path}"
    db = Database(url)
    await migrate.upgrade(db)
    if args.fill_only:
        print(f"filling {url}")
    spent: dict[str, float] = defaultdict(float)
    names = instrument(spent)
    miner = Miner()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    for r in range(1 if args.derive_only else args.rounds):
        filled = 0.0
        if not args.derive_only:
            filled = await fill(db, args.lines, r * (args.lines // BATCH), args.repeat_bodies)
        if args.fill_only:
            continue
        load_before = os.getloadavg()[0]
        spent.clear()
        started = time.perf_counter()
        cpu = time.process_time()
        total = 0
        while True:
            done = await derive_pending(db, miner, budget_seconds=60.0)
            total += done
            if done == 0:
                break
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
        print(
            f"round {r + 1}: filled in {filled:.1f} s; derived {total:,} "
            f"in {elapsed:.2f} s = {total / elapsed:,.0f} lines/s, "
            f"{elapsed / total * 1e6:.2f} µs/line, CPU {cpu / total * 1e6:.2f} µs/line "
            f"(load average {load_before:.2f} -> "
            f"{os.getloadavg()[0]:.2f}); patterns {len(miner.drain.clusters)}"
        )
        accounted = 0.0
        for name in dict.fromkeys(names):  # a stage may have two names (older trees)
            seconds = spent.get(name, 0.0)
            accounted += seconds
            if seconds:
                print(f"  {name:<22} {seconds / total * 1e6:7.2f} µs/line")
        print(f"  {'rest':<22} {(elapsed - accounted) / total * 1e6:7.2f} µs/line")
    await db.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat-bodies", type=int, default=0)
    parser.add_argument("--fill-only", action="store_true")
    parser.add_argument("--derive-only", action="store_true")
    args = parser.parse_args()
    asyncio.run(main_async(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A/B: span ingest with the block store off and on (SENTINEL_TRACES_BLOCKS).

    .venv/bin/python benchmarks/ab_traces_blocks.py [--rounds 2] [--seconds 20]
        [--connections 8] [--batch 1000] [--batches 300] [--skip-served]

1. In process: the same decoded batches through `writer.write_batch` (the served write
   path, transaction and commit included) into two migrated SQLite files, one with
   blocks off and one with blocks on, alternating which goes first. Prints µs per span
   of each, and of `blocks.encode` (zlib level 1), which serving runs in a thread
   before the write transaction (not in the "on" figure), and of `blocks.index_rows`
   (part of it); the rest of the difference is the dictionary lookup and the block and
   index inserts. Beside them: `decode_protobuf`, and the bare `spans` insert of the
   same rows in a third file (what going blocks-only would drop). Then
   `service.get_trace` of every third batch's traces from the "on" file, read from rows
   and from blocks, alternating which goes first.
2. As served: `sentinel serve` with the setting off, then on, `--rounds` times, each on
   a fresh SQLite file, with bench_traces.py's closed-loop OTLP/HTTP protobuf load from
   a separate process; the load average before and after each run.

Not a bench_*.py (run_all.py would take it for a target check): it prints figures for
docs/storage-shape.md, slices 1 and 2.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_traces import fresh_body, in_subprocess, run_ingest, templates
from harness import running_server

MODES = ("off", "on")


async def _in_process(bodies: list[bytes], folder: Path) -> dict[str, float]:
    from sentinel.ingest.otlp.traces import decode_protobuf
    from sentinel.storage import migrate
    from sentinel.storage.engine import Database
    from sentinel.tracing import blocks, rollup, writer

    dbs = {mode: Database(f"sqlite+aiosqlite:///{folder / mode}.db") for mode in MODES}
    bare = Database(f"sqlite+aiosqlite:///{folder / 'bare'}.db")
    for db in (*dbs.values(), bare):
        await migrate.upgrade(db)
    parts = ("decode", *MODES, "spans insert alone", "encode", "index rows")
    seconds = dict.fromkeys(parts, 0.0)
    spans = 0
    trace_ids: list[str] = []
    for i, raw in enumerate(bodies):
        started = time.perf_counter()
        batch = decode_protobuf(raw)
        seconds["decode"] += time.perf_counter() - started
        groups = rollup.group_operations(batch.rows)
        spans += len(batch.rows)
        started = time.perf_counter()
        body = blocks.encode(batch.rows, batch.resources)
        seconds["encode"] += time.perf_counter() - started
        for mode in MODES if i % 2 == 0 else MODES[::-1]:
            started = time.perf_counter()
            async with dbs[mode].write_transaction() as session:
                block = body if mode == "on" else None
                await writer.write_batch(session, batch, groups, block)
            seconds[mode] += time.perf_counter() - started
        started = time.perf_counter()
        async with bare.write_transaction() as session:
            await writer._executemany(session, "spans", batch.rows)
        seconds["spans insert alone"] += time.perf_counter() - started
        ids = {name: n for n, name in enumerate(blocks.names_of(batch.rows))}
        started = time.perf_counter()
        blocks.index_rows(i, batch.rows, range(len(batch.rows)), ids)
        seconds["index rows"] += time.perf_counter() - started
        if i % 3 == 0:
            trace_ids.append(batch.rows[(i * 7) % len(batch.rows)][0])
    await _reads(dbs["on"], trace_ids, seconds)
    for db in (*dbs.values(), bare):
        await db.dispose()
    reads = {what: seconds.pop(what) / len(trace_ids) * 1e6 for what in READS}
    return {what: s / spans * 1e6 for what, s in seconds.items()} | reads


READS = ("trace by id, rows", "trace by id, blocks")


async def _reads(db: Any, trace_ids: list[str], seconds: dict[str, float]) -> None:
    """service.get_trace of each trace, from rows and from blocks, alternating first."""
    from sentinel.tracing import service

    for i, trace_id in enumerate(trace_ids):
        for what in READS if i % 2 == 0 else READS[::-1]:
            started = time.perf_counter()
            async with db.transaction() as session:
                await service.get_trace(session, trace_id, from_blocks=what.endswith("blocks"))
            seconds[what] = seconds.get(what, 0.0) + time.perf_counter() - started


def _served(mode: str, seconds: float, connections: int, batch: int) -> float:
    env = {"SENTINEL_TRACES_BLOCKS": mode}
    with running_server(extra_env=env) as server:
        result = in_subprocess(run_ingest, server.host, server.port, seconds, connections, batch, 0)
    if result.errors:
        print(f"  {mode}: {result.errors} errors, e.g. {result.error_samples[:1]}")
    return result.spans / result.seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--batches", type=int, default=300, help="in-process batches")
    parser.add_argument("--skip-served", action="store_true")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")

    now_ns = time.time_ns()
    spans = templates(args.batch, now_ns)
    bodies = [fresh_body(spans[i % len(spans)], i + 1, now_ns) for i in range(args.batches)]
    print(f"in process: {len(bodies)} batches of {args.batch} spans, off/on alternating")
    folder = Path(tempfile.mkdtemp(prefix="sentinel-ab-blocks-"))
    cost = asyncio.run(_in_process(bodies, folder))
    sizes = {mode: sum(p.stat().st_size for p in folder.glob(f"{mode}.db*")) for mode in MODES}
    print(f"  files: off {sizes['off'] / 1e6:,.0f} MB, on {sizes['on'] / 1e6:,.0f} MB")
    for what, us in cost.items():
        unit = "µs per trace (in-process get_trace)" if what in READS else "µs/span"
        print(f"  {what:>19}: {us:8.2f} {unit}")
    print(f"  block write (on - off): {cost['on'] - cost['off']:.2f} µs/span")
    print(f"  load average after: {os.getloadavg()[0]:.2f}")
    if args.skip_served:
        return 0

    print(f"as served: {args.connections} conns x {args.batch} spans, {args.seconds:.0f} s runs")
    rates: dict[str, list[float]] = {mode: [] for mode in MODES}
    for round_ in range(args.rounds):
        for mode in MODES if round_ % 2 == 0 else MODES[::-1]:
            before = os.getloadavg()[0]
            rate = _served(mode, args.seconds, args.connections, args.batch)
            rates[mode].append(rate)
            after = os.getloadavg()[0]
            print(f"  blocks {mode:>3}: {rate:>9,.0f} spans/s  (load {before:.2f} → {after:.2f})")
    for mode in MODES:
        print(f"  blocks {mode:>3}: mean {sum(rates[mode]) / len(rates[mode]):,.0f} spans/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Slice 5's blocks-only span ingest (tracing/lean.py), measured beside today's path.

    .venv/bin/python benchmarks/explore_lean_ingest.py [--spans 2000000] [--batch 1000]
        [--window 100]

In process, no HTTP, on three fresh SQLite files migrated to the real schema (alembic, as
`sentinel serve` does), with bench_traces.py's OTLP batches (span_factory: traces of 5
spans across 5 services, ~10 attributes a span), each batch new (ids and times). Per
batch, alternating which path goes first:

- today: `decode_protobuf`, `rollup.group_operations`, then `writer.write_batch` with
  blocks off (resources, the stored-span lookup, the `spans` insert, rollups and edges)
  in `Database.write_transaction`, commit included.
- lean (blocks only): `lean.decode`; the rollup and edge computation from the lean
  spans (`lean.group_operations` + `rollup.operation_rollups`, `lean.edge_rollups`);
  `lean.encode_block` (zlib 1; served, it would run in a thread, off the event loop);
  then in `Database.write_transaction`: the name dictionary (`block_store.name_ids`),
  one lookup of the stored spans of the batch's trace keys in `span_index` (serves both
  dedupe by (trace key, span key) and the cross-batch parents and children of edges),
  the `span_blocks` insert, the `span_index` executemany, the rollup inserts, commit.

All statements go through the real driver (aiosqlite, on the session's connection, as
block_store.py and writer.py do), two ways: "awaits", one await per statement (a hop
to aiosqlite's thread each, as block_store.py writes today), and "one call", the whole
write as one function run on aiosqlite's thread (`Connection._execute`, what a
`Database.sqlite_write` would do). Today's path is `write_batch` as committed.

Prints µs per span of each part (wall clock), CPU per span (process time, all threads;
"loop cpu" is the event loop's thread alone, the rest ran on aiosqlite's thread), and
spans/s of each path (without the lean block encode, which serving runs on the other
core, and with it), for a window of `--window` batches before 0.5 M, 1 M and 2 M spans
stored, with the load average. For
docs/storage-shape.md, "Slice 5's ingest, measured".
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench_traces import fresh_body, templates

TODAY = ("today: decode", "today: rollup groups", "today: write_batch")
LEAN = ("awaits", "one call")
NO_TRACE_INDEX = "no trace index"
CHECKPOINT_ASIDE = "checkpoint aside"
CHECKPOINT_EVERY = 10
PARTS = (
    "decode",
    "rollups + edges",
    "names",
    "stored lookup",
    "block insert",
    "index rows",
    "rollup inserts",
    "hops",
    "begin + commit",
    "checkpoint",
)
_CHUNK = 500
_STORED = (
    "SELECT i.trace_key, i.span_key, i.parent_key, n.name, i.start_ns, i.duration_ns, "
    "i.flags FROM span_index AS i JOIN span_names AS n ON n.id = i.service_id "
    "WHERE i.trace_key IN "
)


async def _lean_batch(db: Any, body: bytes, seconds: dict[str, float], tag: str) -> int:
    """Decode, rollups and block encode on the loop, then the write: one await per
    statement (as block_store.py writes), or one call on the driver's thread."""
    from sentinel.tracing import lean
    from sentinel.tracing.driver import driver_of

    clock = time.perf_counter
    cpu = time.process_time
    c0, m0 = cpu(), time.thread_time()
    t0 = clock()
    batch = lean.decode(body)
    t1 = clock()
    groups = lean.group_operations(batch.spans)
    t2 = clock()
    encoded = lean.encode_block(batch)
    t3 = clock()
    seconds[f"{tag}: decode"] += t1 - t0
    seconds[f"{tag}: rollups + edges"] += t2 - t1
    seconds[f"{tag}: block encode"] += t3 - t2
    async with db.write_transaction() as session:
        driver = await driver_of(session)
        t4 = clock()
        if tag != "awaits":
            fresh = await driver._execute(
                _write_in_thread, driver._connection, batch, groups, encoded, seconds, tag
            )
        else:
            fresh = await _write_awaiting(session, driver, batch, groups, encoded, seconds, tag)
        t5 = clock()
        c5 = cpu()
    t6 = clock()
    c6 = cpu()
    seconds[f"{tag}: cpu"] += c6 - c0
    seconds[f"{tag}: loop cpu"] += time.thread_time() - m0
    seconds[f"{tag}: commit cpu"] += c6 - c5
    parts = ("names", "stored lookup", "rollups + edges", "block insert", "index rows")
    within = sum(
        seconds.pop(f"{tag}: {part} (this batch)", 0.0) for part in (*parts, "rollup inserts")
    )
    seconds[f"{tag}: begin + commit"] += (t4 - t3) + (t6 - t5)
    seconds[f"{tag}: hops"] += (t5 - t4) - within
    return fresh


def _add(seconds: dict[str, float], tag: str, part: str, spent: float) -> None:
    seconds[f"{tag}: {part}"] += spent
    seconds[f"{tag}: {part} (this batch)"] += spent


def _counted(batch: Any, groups: Any, stored: list[Any]) -> tuple[Any, list[Any], Any, Any]:
    from sentinel.tracing import lean, rollup

    spans = batch.spans
    positions = lean.first_copies(spans, {(s.trace_key, s.span_key) for s in stored})
    fresh = spans if len(positions) == len(spans) else [spans[p] for p in positions]
    if fresh is not spans:
        groups = lean.group_operations(fresh)
    return positions, fresh, rollup.operation_rollups(groups), lean.edge_rollups(fresh, stored)


async def _write_awaiting(
    session: Any,
    driver: Any,
    batch: Any,
    groups: Any,
    encoded: bytes,
    seconds: dict[str, float],
    tag: str,
) -> int:
    from sentinel.tracing import block_store, lean

    clock = time.perf_counter
    spans = batch.spans
    t4 = clock()
    ids = await block_store.name_ids(session, lean.names_of(spans))
    t5 = clock()
    keys = sorted({s[lean.TRACE_KEY] for s in spans})
    stored: list[lean.StoredSpan] = []
    for i in range(0, len(keys), _CHUNK):
        chunk = keys[i : i + _CHUNK]
        async with driver.execute(_STORED + f"({', '.join('?' * len(chunk))})", chunk) as cursor:
            stored += [lean.StoredSpan(*row) for row in await cursor.fetchall()]
    t6 = clock()
    positions, fresh, operations, edges = _counted(batch, groups, stored)
    t7 = clock()
    starts = [s[lean.START] for s in spans]
    values = (min(starts), max(starts), len(spans), encoded)
    async with driver.execute(_BLOCK, values) as cursor:
        block_id = cursor.lastrowid
    t8 = clock()
    await driver.executemany(_INDEX, lean.index_rows(block_id, spans, positions, ids))
    t9 = clock()
    await driver.executemany(_OPS, operations)
    if edges:
        await driver.executemany(_EDGES, edges)
    t10 = clock()
    for part, spent in (
        ("names", t5 - t4),
        ("stored lookup", t6 - t5),
        ("rollups + edges", t7 - t6),
        ("block insert", t8 - t7),
        ("index rows", t9 - t8),
        ("rollup inserts", t10 - t9),
    ):
        _add(seconds, tag, part, spent)
    return len(fresh)


def _write_in_thread(
    conn: sqlite3.Connection,
    batch: Any,
    groups: Any,
    encoded: bytes,
    seconds: dict[str, float],
    tag: str,
) -> int:
    """The same statements as `_write_awaiting`, in one call on the connection's thread."""
    from sentinel.tracing import lean

    if tag == CHECKPOINT_ASIDE:
        conn.execute("PRAGMA wal_autocheckpoint=0")  # the benchmark checkpoints
    clock = time.perf_counter
    spans = batch.spans
    t4 = clock()
    wanted = sorted(lean.names_of(spans))
    select = "SELECT name, id FROM span_names WHERE name IN "
    ids = dict(conn.execute(select + f"({', '.join('?' * len(wanted))})", wanted).fetchall())
    missing = [(n,) for n in wanted if n not in ids]
    if missing:
        conn.executemany("INSERT OR IGNORE INTO span_names (name) VALUES (?)", missing)
        ids = dict(conn.execute(select + f"({', '.join('?' * len(wanted))})", wanted).fetchall())
    t5 = clock()
    keys = sorted({s[lean.TRACE_KEY] for s in spans}) if tag != NO_TRACE_INDEX else []
    stored: list[lean.StoredSpan] = []
    for i in range(0, len(keys), _CHUNK):
        chunk = keys[i : i + _CHUNK]
        rows = conn.execute(_STORED + f"({', '.join('?' * len(chunk))})", chunk).fetchall()
        stored += [lean.StoredSpan(*row) for row in rows]
    t6 = clock()
    positions, fresh, operations, edges = _counted(batch, groups, stored)
    t7 = clock()
    starts = [s[lean.START] for s in spans]
    block_id = conn.execute(_BLOCK, (min(starts), max(starts), len(spans), encoded)).lastrowid
    t8 = clock()
    conn.executemany(_INDEX, lean.index_rows(block_id, spans, positions, ids))
    t9 = clock()
    conn.executemany(_OPS, operations)
    if edges:
        conn.executemany(_EDGES, edges)
    t10 = clock()
    for part, spent in (
        ("names", t5 - t4),
        ("stored lookup", t6 - t5),
        ("rollups + edges", t7 - t6),
        ("block insert", t8 - t7),
        ("index rows", t9 - t8),
        ("rollup inserts", t10 - t9),
    ):
        _add(seconds, tag, part, spent)
    return len(fresh)


def _sql() -> tuple[str, str, str, str]:
    from sentinel.tracing.blocks import INDEX_COLUMNS
    from sentinel.tracing.driver import insert_sql

    block = insert_sql(
        "span_blocks", ("first_start_ns", "last_start_ns", "span_count", "body"), False, False
    )
    index = insert_sql("span_index", INDEX_COLUMNS, False, ignore=False)
    ops = insert_sql(
        "span_operation_rollups",
        ("minute", "service", "name", "count", "error_count", "duration_sum_ns", "sketch"),
        False,
        ignore=False,
    )
    edges = insert_sql(
        "span_edge_rollups",
        ("minute", "caller", "callee", "traced", "count", "error_count", "sketch"),
        False,
        ignore=False,
    )
    return block, index, ops, edges


_BLOCK, _INDEX, _OPS, _EDGES = _sql()


async def _today_batch(db: Any, body: bytes, seconds: dict[str, float]) -> int:
    from sentinel.ingest.otlp.traces import decode_protobuf
    from sentinel.tracing import rollup, writer

    clock = time.perf_counter
    c0 = time.process_time()
    t0 = clock()
    batch = decode_protobuf(body)
    t1 = clock()
    groups = rollup.group_operations(batch.rows)
    t2 = clock()
    async with db.write_transaction() as session:
        await writer.write_batch(session, batch, groups)
    t3 = clock()
    seconds["today: cpu"] += time.process_time() - c0
    seconds["today: decode"] += t1 - t0
    seconds["today: rollup groups"] += t2 - t1
    seconds["today: write_batch"] += t3 - t2
    return len(batch.rows)


async def _checkpoint(db: Any, seconds: dict[str, float], tag: str) -> None:
    """A passive checkpoint outside any write transaction, as a background task would."""
    c0, t0 = time.process_time(), time.perf_counter()
    async with db.engine.connect() as connection:
        await connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
    seconds[f"{tag}: checkpoint"] += time.perf_counter() - t0
    seconds[f"{tag}: cpu"] += time.process_time() - c0


async def _run(args: argparse.Namespace) -> list[tuple[int, float, float, dict[str, float]]]:
    from sentinel.storage import migrate
    from sentinel.storage.engine import Database

    folder = Path(tempfile.mkdtemp(prefix="sentinel-lean-"))
    names = {"today": "today", "awaits": "lean-awaits", "one call": "lean-one-call"}
    if args.no_trace_index:
        names[NO_TRACE_INDEX] = "lean-no-trace-index"
    if args.checkpoint_aside:
        names[CHECKPOINT_ASIDE] = "lean-checkpoint-aside"
    dbs = {
        path: Database(f"sqlite+aiosqlite:///{folder / name}.db") for path, name in names.items()
    }
    for db in dbs.values():
        await migrate.upgrade(db)
    if args.no_trace_index:
        async with dbs[NO_TRACE_INDEX].transaction() as session:
            await session.execute(text("DROP INDEX ix_span_index_trace"))
    now_ns = time.time_ns()
    spans = templates(args.batch, now_ns)
    requests = args.spans // args.batch
    marks = {m // args.batch for m in (500_000, 1_000_000, 2_000_000) if m <= args.spans}
    marks.add(requests)
    windows: list[tuple[int, float, float, dict[str, float]]] = []
    seconds: dict[str, float] = defaultdict(float)
    counted = 0
    load_before = os.getloadavg()[0]
    for i in range(requests):
        body = fresh_body(spans[i % len(spans)], i + 1, now_ns)
        order = list(dbs)
        turn = i % len(order)
        for path in order[turn:] + order[:turn]:  # each goes first in turn
            if path == "today":
                counted += await _today_batch(dbs[path], body, seconds)
            else:
                await _lean_batch(dbs[path], body, seconds, path)
            if path == CHECKPOINT_ASIDE and i % CHECKPOINT_EVERY == CHECKPOINT_EVERY - 1:
                await _checkpoint(dbs[path], seconds, path)
        done = i + 1
        if not any(m - args.window < done <= m for m in marks):
            seconds, counted = defaultdict(float), 0  # not in a window yet
            load_before = os.getloadavg()[0]
        elif done in marks:
            us = {part: s / counted * 1e6 for part, s in seconds.items()}
            windows.append((done * args.batch, load_before, os.getloadavg()[0], us))
            show(windows[-1])
    for db in dbs.values():
        await db.dispose()
    for name in names.values():
        size = sum(p.stat().st_size for p in folder.glob(f"{name}.db*"))  # noqa: ASYNC240
        print(f"  {name} file: {size / 1e6:,.0f} MB")
    return windows


def show(window: tuple[int, float, float, dict[str, float]]) -> None:
    stored, before, after, us = window
    print(f"at {stored:,} stored (load average {before:.2f} -> {after:.2f}), µs per span:")
    for part in TODAY:
        print(f"  {part:>22}: {us[part]:7.2f}")
    today = sum(us[p] for p in TODAY)
    print(f"  {'today, total':>22}: {today:7.2f}  = {1e6 / today:9,.0f} spans/s")
    print(f"  {'today, CPU':>22}: {us['today: cpu']:7.2f}  (process time, all threads)")
    tags = [tag for tag in (*LEAN, NO_TRACE_INDEX, CHECKPOINT_ASIDE) if f"{tag}: decode" in us]
    us = defaultdict(float, us)
    print(f"  {'lean':>22}: " + "  ".join(f"{tag:>16}" for tag in tags))
    for part in (*PARTS, "block encode"):
        print(f"  {part:>22}: " + "  ".join(f"{us[f'{tag}: {part}']:16.2f}" for tag in tags))
    for label, extra in (("total, encode aside", ()), ("total, with encode", ("block encode",))):
        totals = [sum(us[f"{tag}: {p}"] for p in (*PARTS, *extra)) for tag in tags]
        rates = "  ".join(f"{t:6.2f} = {1e6 / t:7,.0f}/s" for t in totals)
        print(f"  {label:>22}: {rates}")
    for part in ("cpu", "loop cpu", "commit cpu"):
        print(
            f"  {'lean, ' + part:>22}: "
            + "  ".join(f"{us[f'{tag}: {part}']:16.2f}" for tag in tags)
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spans", type=int, default=2_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--window", type=int, default=100, help="batches per figure")
    parser.add_argument(
        "--no-trace-index",
        action="store_true",
        help="a fourth path: one call, on a file without ix_span_index_trace and without "
        "the stored lookup (no dedupe, no cross-batch edges): what the random index costs",
    )
    parser.add_argument(
        "--checkpoint-aside",
        action="store_true",
        help="a fifth path: one call with wal_autocheckpoint off, and a passive checkpoint "
        f"every {CHECKPOINT_EVERY} batches outside the write, timed apart",
    )
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(f"{args.spans // args.batch:,} OTLP requests of {args.batch} spans, alternating")
    asyncio.run(_run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())

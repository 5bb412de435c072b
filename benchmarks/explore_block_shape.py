"""What a block-shaped span store could ingest on this machine, beside today's row shape.

    .venv/bin/python benchmarks/explore_block_shape.py [--spans 2000000] [--batch 1000]

Not a benchmark of Sentinel: an in-process measurement, on bare sqlite3, of the storage
shape docs/storage-shape.md proposes for #3/#4 (ingest far below SPEC §7's targets),
beside the shape Sentinel has, with the same OTLP batches as bench_traces.py. Per batch,
in one committed transaction each:

- rows (today): decode_protobuf (full parse + one row of 18 columns per span) and
  `INSERT OR IGNORE` into `spans` with its four indexes.
- blocks: the full parse that validates the request (kept: SPEC's 400 for bad bodies),
  the shallow parse for the few fields an index needs, then one `span_blocks` row holding
  the request's bytes and one narrow, all-integer `span_index` row per span (trace key =
  the trace id's first 8 bytes, span id, parent, service and operation as dictionary ids,
  start, duration, flags) with three indexes: trace key, (service, operation, start),
  start. Once with the block stored as sent, once zlib level 1.

Prints spans/s per million stored, so the cost of the random trace-key index as the table
grows is visible, and the CPU split (decode vs write).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

from bench_traces import fresh_body, templates

BLOCK_SCHEMA = (
    "CREATE TABLE span_blocks (id INTEGER PRIMARY KEY, received_ns INTEGER, body BLOB)",
    "CREATE TABLE span_index (block_id INTEGER, trace_key INTEGER, span_key INTEGER, "
    "parent_key INTEGER, service_id INTEGER, name_id INTEGER, start_ns INTEGER, "
    "duration_ns INTEGER, flags INTEGER)",
    "CREATE INDEX ix_span_index_trace ON span_index (trace_key)",
    "CREATE INDEX ix_span_index_operation ON span_index (service_id, name_id, start_ns)",
    "CREATE INDEX ix_span_index_start ON span_index (start_ns)",
)
PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-65536")


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        conn.execute(f"PRAGMA {pragma}")
    return conn


def _signed(raw: bytes) -> int:
    return int.from_bytes(raw[:8], "big", signed=True) if raw else 0


class Dictionary:
    """Service and operation names to small integers (a table in a real store)."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def __call__(self, name: str) -> int:
        found = self.ids.get(name)
        if found is None:
            found = self.ids[name] = len(self.ids) + 1
        return found


def block_rows(
    body: bytes, block_id: int, services: Dictionary, names: Dictionary
) -> list[tuple[int, ...]]:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    from sentinel.ingest.otlp.wire import ShallowRequest, ShallowSpan

    full = ExportTraceServiceRequest.FromString(body)  # validation, as ingest does today
    shallow = ShallowRequest.FromString(body)
    rows: list[tuple[int, ...]] = []
    parse = ShallowSpan.FromString
    for resource_spans, full_rs in zip(shallow.resource_spans, full.resource_spans, strict=True):
        service = "unknown_service"
        for kv in full_rs.resource.attributes:
            if kv.key == "service.name":
                service = kv.value.string_value
        service_id = services(service)
        for scope_spans in resource_spans.scope_spans:
            for raw in scope_spans.spans:
                span = parse(raw)
                start = span.start_time_unix_nano
                rows.append(
                    (
                        block_id,
                        _signed(span.trace_id),
                        _signed(span.span_id),
                        _signed(span.parent_span_id),
                        service_id,
                        names(span.name),
                        start,
                        span.end_time_unix_nano - start,
                        span.kind | (span.status.code << 3),
                    )
                )
    return rows


def run_blocks(
    bodies: list[bytes], compress: Callable[[bytes], bytes], report_every: int
) -> list[tuple[int, float, float]]:
    path = Path(tempfile.mkdtemp(prefix="sentinel-blocks-")) / "blocks.db"
    conn = _connect(path)
    for statement in BLOCK_SCHEMA:
        conn.execute(statement)
    services, names = Dictionary(), Dictionary()
    insert = "INSERT INTO span_index VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    figures: list[tuple[int, float, float]] = []
    stored = 0
    decode_s = write_s = 0.0
    for block_id, body in enumerate(bodies, start=1):
        t0 = time.perf_counter()
        rows = block_rows(body, block_id, services, names)
        blob = compress(body)
        t1 = time.perf_counter()
        conn.execute("BEGIN")
        conn.execute("INSERT INTO span_blocks VALUES (?, ?, ?)", (block_id, time.time_ns(), blob))
        conn.executemany(insert, rows)
        conn.execute("COMMIT")
        t2 = time.perf_counter()
        decode_s += t1 - t0
        write_s += t2 - t1
        stored += len(rows)
        if stored % report_every < len(rows):
            figures.append((stored, decode_s, write_s))
            decode_s = write_s = 0.0
    conn.close()
    size = sum(p.stat().st_size for p in path.parent.iterdir())
    print(f"  file size {size / 1e6:,.0f} MB for {stored:,} spans")
    return figures


def run_rows(bodies: list[bytes], report_every: int) -> list[tuple[int, float, float]]:
    from sqlalchemy import create_engine

    from sentinel.ingest.otlp.traces import decode_protobuf
    from sentinel.storage.base import Base
    from sentinel.tracing import models
    from sentinel.tracing.writer import _SQL

    path = Path(tempfile.mkdtemp(prefix="sentinel-rows-")) / "rows.db"
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine, tables=[models.Span.__table__])  # type: ignore[list-item]
    engine.dispose()
    conn = _connect(path)
    figures: list[tuple[int, float, float]] = []
    stored = 0
    decode_s = write_s = 0.0
    for body in bodies:
        t0 = time.perf_counter()
        rows = decode_protobuf(body).rows
        t1 = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(_SQL[("spans", False)], rows)
        conn.execute("COMMIT")
        t2 = time.perf_counter()
        decode_s += t1 - t0
        write_s += t2 - t1
        stored += len(rows)
        if stored % report_every < len(rows):
            figures.append((stored, decode_s, write_s))
            decode_s = write_s = 0.0
    conn.close()
    size = sum(p.stat().st_size for p in path.parent.iterdir())
    print(f"  file size {size / 1e6:,.0f} MB for {stored:,} spans")
    return figures


def show(label: str, figures: list[tuple[int, float, float]], report_every: int) -> None:
    print(f"{label}")
    print(f"  {'stored':>10}  {'spans/s':>9}  {'decode us/span':>14}  {'write us/span':>13}")
    for stored, decode_s, write_s in figures:
        rate = report_every / (decode_s + write_s)
        print(
            f"  {stored:>10,}  {rate:>9,.0f}  {decode_s / report_every * 1e6:>14.2f}"
            f"  {write_s / report_every * 1e6:>13.2f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spans", type=int, default=2_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    report_every = max(args.spans // 4, args.batch)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    now_ns = time.time_ns()
    bodies = templates(args.batch, now_ns)
    fresh = [
        fresh_body(bodies[i % len(bodies)], i + 1, now_ns) for i in range(args.spans // args.batch)
    ]
    print(f"{len(fresh):,} OTLP requests of {args.batch} spans, {len(fresh[0]):,} bytes each")
    show("rows (today's shape)", run_rows(fresh, report_every), report_every)
    show(
        "blocks, as sent",
        run_blocks(fresh, lambda body: body, report_every),
        report_every,
    )
    show(
        "blocks, zlib level 1",
        run_blocks(fresh, lambda body: zlib.compress(body, 1), report_every),
        report_every,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

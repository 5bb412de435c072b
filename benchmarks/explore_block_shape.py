"""What a block-shaped span store could ingest on this machine, beside today's row shape.

    .venv/bin/python benchmarks/explore_block_shape.py [--signal traces|logs]
        [--records 2000000] [--batch 1000] [--no-trace-index]

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

Logs (`--signal logs`, bench_logs.py's OTLP batches): today's `log_records` rows (five
indexes, the full-text index left out as in bench_logs' first ceiling) against one
`log_blocks` row per request and a narrow `log_index` row per record (block, position,
time, service id, severity, trace key) with indexes on time, (service, time) and, unless
`--no-trace-index`, trace key where there is one. The text index and pattern mining stay
derived work in both shapes.

Prints records/s per quarter of the run, so the cost of growing indexes is visible, and
the CPU split (decode vs write).
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
from typing import Any

from bench_logs import bodies as log_bodies
from bench_logs import retimed
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


def _service_name(resource: Any) -> str:
    for kv in resource.attributes:
        if kv.key == "service.name":
            return str(kv.value.string_value)
    return "unknown_service"


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
        service_id = services(_service_name(full_rs.resource))
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


Indexer = Callable[[bytes, int, Dictionary, Dictionary], list[tuple[int, ...]]]
Prepared = tuple[list[tuple[object, ...]], bytes | None]


def run_blocks(
    bodies: list[bytes],
    compress: Callable[[bytes], bytes],
    report_every: int,
    schema: tuple[str, ...],
    indexer: Indexer,
) -> list[tuple[int, float, float]]:
    path = Path(tempfile.mkdtemp(prefix="sentinel-blocks-")) / "blocks.db"
    conn = _connect(path)
    for statement in schema:
        conn.execute(statement)
    conn.close()
    table = "span" if indexer is block_rows else "log"
    width = 9 if indexer is block_rows else 6
    services, names = Dictionary(), Dictionary()

    def prepare(block_id: int, body: bytes) -> Prepared:
        return list(indexer(body, block_id, services, names)), compress(body)

    return _timed(
        path,
        bodies,
        report_every,
        prepare,
        f"INSERT INTO {table}_index VALUES ({', '.join('?' * width)})",  # noqa: S608
        f"INSERT INTO {table}_blocks VALUES (?, ?, ?)",  # noqa: S608
    )


LOG_SCHEMA = (
    "CREATE TABLE log_blocks (id INTEGER PRIMARY KEY, received_ns INTEGER, body BLOB)",
    "CREATE TABLE log_index (block_id INTEGER, position INTEGER, time_ns INTEGER, "
    "service_id INTEGER, severity INTEGER, trace_key INTEGER)",
    "CREATE INDEX ix_log_index_time ON log_index (time_ns)",
    "CREATE INDEX ix_log_index_service ON log_index (service_id, time_ns)",
)
LOG_TRACE_INDEX = ("CREATE INDEX ix_log_index_trace ON log_index (trace_key) WHERE trace_key != 0",)


def log_block_rows(
    body: bytes, block_id: int, services: Dictionary, _names: Dictionary
) -> list[tuple[int, ...]]:
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

    request = ExportLogsServiceRequest.FromString(body)
    rows: list[tuple[int, ...]] = []
    position = 0
    for resource_logs in request.resource_logs:
        service_id = services(_service_name(resource_logs.resource))
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                rows.append(
                    (
                        block_id,
                        position,
                        record.time_unix_nano or record.observed_time_unix_nano,
                        service_id,
                        record.severity_number,
                        _signed(record.trace_id),
                    )
                )
                position += 1
    return rows


def run_log_rows(bodies: list[bytes], report_every: int) -> list[tuple[int, float, float]]:
    from alembic import command
    from sqlalchemy import create_engine

    from sentinel.ingest.otlp.logs import decode_protobuf
    from sentinel.logs.writer import _SQLITE
    from sentinel.storage.migrate import alembic_config

    path = Path(tempfile.mkdtemp(prefix="sentinel-log-rows-")) / "rows.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0004")
    engine.dispose()
    return _timed(
        path, bodies, report_every, lambda _, body: (decode_protobuf(body).rows, None), _SQLITE
    )


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
    return _timed(
        path,
        bodies,
        report_every,
        lambda _, body: (decode_protobuf(body).rows, None),
        _SQL[("spans", False)],
    )


def _timed(
    path: Path,
    bodies: list[bytes],
    report_every: int,
    prepare: Callable[[int, bytes], Prepared],
    insert: str,
    insert_block: str | None = None,
) -> list[tuple[int, float, float]]:
    """Per request, in one committed transaction: its block (if any) and its rows."""
    conn = _connect(path)
    figures: list[tuple[int, float, float]] = []
    stored = 0
    decode_s = write_s = 0.0
    for block_id, body in enumerate(bodies, start=1):
        t0 = time.perf_counter()
        rows, blob = prepare(block_id, body)
        t1 = time.perf_counter()
        conn.execute("BEGIN")
        if insert_block is not None:
            conn.execute(insert_block, (block_id, time.time_ns(), blob))
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
    print(f"  file size {size / 1e6:,.0f} MB for {stored:,} records")
    return figures


def show(label: str, figures: list[tuple[int, float, float]], report_every: int) -> None:
    print(f"{label}")
    print(f"  {'stored':>10}  {'per s':>9}  {'decode us/rec':>14}  {'write us/rec':>13}")
    for stored, decode_s, write_s in figures:
        rate = report_every / (decode_s + write_s)
        print(
            f"  {stored:>10,}  {rate:>9,.0f}  {decode_s / report_every * 1e6:>14.2f}"
            f"  {write_s / report_every * 1e6:>13.2f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--signal", choices=("traces", "logs"), default="traces")
    parser.add_argument("--records", type=int, default=2_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--no-trace-index", action="store_true", help="logs only")
    args = parser.parse_args()
    report_every = max(args.records // 4, args.batch)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    now_ns = time.time_ns()
    requests = args.records // args.batch
    indexer: Indexer
    schema: tuple[str, ...]
    if args.signal == "traces":
        spans = templates(args.batch, now_ns)
        fresh = [fresh_body(spans[i % len(spans)], i + 1, now_ns) for i in range(requests)]
        rows = run_rows(fresh, report_every)
        schema, indexer = BLOCK_SCHEMA, block_rows
    else:
        old = now_ns - (1 << 32) * (requests + 10)
        logs = log_bodies("otlp", args.batch, old)
        fresh = [retimed("otlp", logs[i % len(logs)], old, i) for i in range(requests)]
        rows = run_log_rows(fresh, report_every)
        schema = LOG_SCHEMA + (() if args.no_trace_index else LOG_TRACE_INDEX)
        indexer = log_block_rows
    print(f"{len(fresh):,} OTLP {args.signal} requests of {args.batch}, {len(fresh[0]):,} bytes")
    show("rows (today's shape)", rows, report_every)
    for label, compress in (("as sent", _as_sent), ("zlib level 1", _zlib1)):
        figures = run_blocks(fresh, compress, report_every, schema, indexer)
        show(f"blocks, {label}", figures, report_every)
    return 0


def _as_sent(body: bytes) -> bytes:
    return body


def _zlib1(body: bytes) -> bytes:
    return zlib.compress(body, 1)


if __name__ == "__main__":
    sys.exit(main())

"""Span ingest and trace read benchmark against a real `sentinel serve` process.

    .venv/bin/python benchmarks/bench_traces.py [--seconds 30] [--connections 8]
        [--batch 1000] [--min-spans 1000000] [--database-url URL] [--blocks off|on]

1. Ceiling: bare sqlite3 `executemany` of the same span rows into the same schema, in
   committed batches (no HTTP, no decoding), and the in-process OTLP decode rate.
2. Ingest: OTLP/HTTP protobuf batches of realistic spans (5-span traces across 5 services,
   ~10 attributes each) from a separate process over several keep-alive connections,
   closed loop: sustained spans/s and request latency percentiles.
3. Reads at the stored volume (topped up to --min-spans): trace search (several shapes)
   and trace-by-id latency, sequential requests from the same separate process.

`--blocks on` serves with SENTINEL_TRACES_BLOCKS=on (the experimental block store; trace
by id then reads blocks). `ab_traces_blocks.py` alternates off and on runs.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import sqlite3
import struct
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from harness import (
    INGEST_KEY,
    HttpConnection,
    percentile,
    print_table,
    running_server,
)
from span_factory import build_request, time_marker

TEMPLATES = 16
TARGET_SPANS_PER_SECOND = 100_000
TARGET_READ_P95_MS = 300.0


def templates(batch: int, now_ns: int) -> list[tuple[bytes, bytes]]:
    """(trace id marker, body) pairs; all bodies' times lie in the 2**32 ns block of now."""
    rng = random.Random(42)
    return [
        (marker, build_request(batch, rng, marker, now_ns))
        for marker in (os.urandom(8) for _ in range(TEMPLATES))
    ]


def fresh_body(template: tuple[bytes, bytes], counter: int, now_ns: int) -> bytes:
    """The template with new trace ids and times moved back by (counter % 2000) blocks of
    4.3 s (spread over the last ~2.4 h), as traffic of that period would be."""
    marker, body = template
    block = (now_ns >> 32) - counter % 2000
    body = body.replace(time_marker(now_ns), block.to_bytes(4, "little"))
    return body.replace(marker, struct.pack(">Q", counter))


# ----------------------------------------------------------------------------- ceiling


def sqlite_ceiling(batch: int, rounds: int) -> tuple[float, float]:
    """(rows/s of bare executemany, spans/s of in-process OTLP decoding)."""
    from sqlalchemy import create_engine

    from sentinel.ingest.otlp.traces import decode_protobuf
    from sentinel.storage.base import Base
    from sentinel.tracing import models
    from sentinel.tracing.indexes import MINUTE_EXPRESSION, MINUTE_INDEX
    from sentinel.tracing.writer import _SQL

    now_ns = time.time_ns()
    bodies = templates(batch, now_ns)
    fresh = [fresh_body(bodies[r % len(bodies)], r + 1, now_ns) for r in range(rounds)]
    started = time.perf_counter()
    prepared = [decode_protobuf(body).rows for body in fresh]
    decode_rate = sum(len(rows) for rows in prepared) / (time.perf_counter() - started)

    path = Path(tempfile.mkdtemp(prefix="sentinel-ceiling-")) / "ceiling.db"
    engine = create_engine(f"sqlite:///{path}")
    tables = [models.Span.__table__, models.SpanResource.__table__]
    Base.metadata.create_all(engine, tables=tables)  # type: ignore[arg-type]
    engine.dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    # The expression index a migration adds (the models cannot describe it).
    conn.execute(
        f"CREATE INDEX {MINUTE_INDEX} ON spans (service, {MINUTE_EXPRESSION}, duration_ns)"
    )
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-65536"):
        conn.execute(f"PRAGMA {pragma}")
    started = time.perf_counter()
    for rows in prepared:
        conn.execute("BEGIN")
        conn.executemany(_SQL[("spans", False)], rows)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return sum(len(r) for r in prepared) / elapsed, decode_rate


# ------------------------------------------------------------------------------ ingest


@dataclass
class IngestResult:
    spans: int = 0
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)


def run_ingest(
    host: str, port: int, seconds: float, connections: int, batch: int, counter_base: int
) -> IngestResult:
    return asyncio.run(_ingest(host, port, seconds, connections, batch, counter_base))


async def _ingest(
    host: str, port: int, seconds: float, connections: int, batch: int, counter_base: int
) -> IngestResult:
    now_ns = time.time_ns()
    bodies = templates(batch, now_ns)
    result = IngestResult()
    counter = counter_base
    head = (
        f"POST /v1/traces HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Bearer {INGEST_KEY}\r\nContent-Type: application/x-protobuf\r\n"
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds

    async def worker() -> None:
        nonlocal counter
        conn = HttpConnection(host, port)
        while loop.time() < deadline:
            counter += 1
            body = fresh_body(bodies[counter % len(bodies)], counter, now_ns)
            raw = f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body
            sent = loop.time()
            try:
                status, answer = await conn.request(raw)
            except (OSError, asyncio.IncompleteReadError) as exc:
                result.errors += 1
                await conn.close()
                if len(result.error_samples) < 3:
                    result.error_samples.append(repr(exc))
                continue
            result.latencies.append(loop.time() - sent)
            result.requests += 1
            if status == 200:
                result.spans += batch
            else:
                result.errors += 1
                if len(result.error_samples) < 3:
                    result.error_samples.append(f"HTTP {status} {answer[:120]!r}")
                if status in (429, 503):
                    await asyncio.sleep(0.2)
        await conn.close()

    started = loop.time()
    await asyncio.gather(*(worker() for _ in range(connections)))
    result.seconds = loop.time() - started
    return result


# ------------------------------------------------------------------------------- reads


def run_reads(host: str, port: int, token: str, rounds: int) -> dict[str, list[float]]:
    return asyncio.run(_reads(host, port, token, rounds))


async def _reads(host: str, port: int, token: str, rounds: int) -> dict[str, list[float]]:
    conn = HttpConnection(host, port)
    auth = f"Authorization: Bearer {token}\r\n"

    async def get(path: str) -> tuple[int, bytes, float]:
        raw = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{auth}\r\n".encode()
        started = time.perf_counter()
        status, body = await conn.request(raw)
        return status, body, time.perf_counter() - started

    import orjson

    status, body, _ = await get("/api/tracing/traces?limit=100&start=0")
    trace_ids = [hit["trace_id"] for hit in orjson.loads(body)["items"]]
    slowest_payments = "/api/tracing/traces?service=payments&sort=duration&limit=20&start=0"
    _, body, _ = await get(slowest_payments)
    slow_cursor = orjson.loads(body)["next_cursor"]
    queries = {
        "search newest 20 (all, 24h)": "/api/tracing/traces?limit=20&start=0",
        "search service": "/api/tracing/traces?service=payments&limit=20&start=0",
        "search service+operation": "/api/tracing/traces?service=payments"
        "&operation=POST%20/api/pay&limit=20&start=0",
        "search errors": "/api/tracing/traces?service=checkout&status=error&limit=20&start=0",
        "search attribute": "/api/tracing/traces?service=frontend"
        "&attribute=app.feature_flag%3Dtrue&limit=20&start=0",
        "search min duration": "/api/tracing/traces?service=users&min_duration_ms=50"
        "&limit=20&start=0",
        "search slowest 20 (all, 24h)": "/api/tracing/traces?sort=duration&limit=20&start=0",
        "search slowest service": slowest_payments,
        "search slowest service+operation": "/api/tracing/traces?service=payments"
        "&operation=POST%20/api/pay&sort=duration&limit=20&start=0",
        "search slowest, page 2": None,
        "jaeger search service": "/jaeger/api/traces?service=inventory&limit=20&start=0",
        "trace by id": None,
        "jaeger trace by id": None,
        "statistics 1h": "/api/tracing/statistics",
        "slow traces 1h": "/api/tracing/slow-traces",
        "slow traces, all": "/api/tracing/slow-traces?start=0",
    }
    latencies: dict[str, list[float]] = {name: [] for name in queries}
    for i in range(rounds):
        for name, path in queries.items():
            if name == "trace by id":
                path = f"/api/tracing/traces/{trace_ids[i % len(trace_ids)]}"
            elif name == "search slowest, page 2":
                path = f"{slowest_payments}&cursor={slow_cursor}"
            elif name == "jaeger trace by id":
                path = f"/jaeger/api/traces/{trace_ids[(i + 7) % len(trace_ids)]}"
            assert path is not None
            status, body, elapsed = await get(path)
            if status != 200:
                raise RuntimeError(f"{name}: HTTP {status} {body[:200]!r}")
            latencies[name].append(elapsed)
    await conn.close()
    return latencies


# -------------------------------------------------------------------------------- main


def in_subprocess(fn, *args):  # type: ignore[no-untyped-def]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(fn, *args).result()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--min-spans", type=int, default=1_000_000)
    parser.add_argument("--read-rounds", type=int, default=40)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--blocks", choices=("off", "on"), default="off")
    args = parser.parse_args()

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    ceiling, decode_rate = sqlite_ceiling(args.batch, 200)
    print(f"bare SQLite executemany ceiling: {ceiling:,.0f} spans/s (batches of {args.batch})")
    print(f"in-process OTLP protobuf decode: {decode_rate:,.0f} spans/s")

    print(f"SENTINEL_TRACES_BLOCKS={args.blocks}")
    blocks = {"SENTINEL_TRACES_BLOCKS": args.blocks}
    with running_server(args.database_url, extra_env=blocks) as server:
        stored = 0
        run = 0
        cpu_before = server.cpu_seconds()
        result = in_subprocess(
            run_ingest, server.host, server.port, args.seconds, args.connections, args.batch, 0
        )
        ingest_cpu = server.cpu_seconds() - cpu_before
        stored += result.spans
        ordered = sorted(result.latencies)
        rate = result.spans / result.seconds
        print_table(
            "OTLP/HTTP protobuf ingest (closed loop, separate process)",
            ["what", "spans/s", "req/s", "P50 ms", "P95 ms", "P99 ms", "errors", "vs ceiling"],
            [
                [
                    f"{args.connections} conns x {args.batch} spans",
                    f"{rate:,.0f}",
                    f"{result.requests / result.seconds:,.1f}",
                    f"{percentile(ordered, 50) * 1000:.0f}",
                    f"{percentile(ordered, 95) * 1000:.0f}",
                    f"{percentile(ordered, 99) * 1000:.0f}",
                    str(result.errors),
                    f"{rate / ceiling:.0%}",
                ]
            ],
        )
        if result.error_samples:
            print("error samples:", result.error_samples)
        # The steadier figure on a shared machine: it moves less with the load than spans/s.
        print(
            f"server CPU during ingest: {ingest_cpu:.1f} s, "
            f"{ingest_cpu / max(result.spans, 1) * 1e6:.1f} µs per span "
            f"(load average {os.getloadavg()[0]:.2f})"
        )
        while stored < args.min_spans:
            run += 1
            more = in_subprocess(
                run_ingest,
                server.host,
                server.port,
                30.0,
                args.connections,
                args.batch,
                run * 10**9,
            )
            stored += more.spans
            print(f"  topped up to {stored:,} spans ({more.spans / more.seconds:,.0f} spans/s)")
        latencies = in_subprocess(
            run_reads, server.host, server.port, server.admin_token(), args.read_rounds
        )
        rows = []
        worst_p95 = 0.0
        for name, values in latencies.items():
            ordered = sorted(values)
            if name != "statistics 1h":
                worst_p95 = max(worst_p95, percentile(ordered, 95) * 1000)
            rows.append(
                [
                    name,
                    f"{percentile(ordered, 50) * 1000:.1f}",
                    f"{percentile(ordered, 95) * 1000:.1f}",
                    f"{max(ordered) * 1000:.1f}",
                ]
            )
        print_table(
            f"Reads at {stored:,} stored spans ({args.read_rounds} sequential requests each)",
            ["query", "P50 ms", "P95 ms", "max ms"],
            rows,
        )
        print(f"server CPU seconds: {server.cpu_seconds():.1f}")
    met = rate >= TARGET_SPANS_PER_SECOND and worst_p95 < TARGET_READ_P95_MS
    print(
        f"targets: ingest >= {TARGET_SPANS_PER_SECOND:,} spans/s: {rate:,.0f}; "
        f"search/by-id P95 < {TARGET_READ_P95_MS:.0f} ms: worst {worst_p95:.0f} ms -> "
        f"{'met' if met else 'missed'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())

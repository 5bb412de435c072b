"""Log ingest and search benchmark against a real `sentinel serve` process.

    .venv/bin/python benchmarks/bench_logs.py [--seconds 20] [--connections 6]
        [--batch 1000] [--search-lines 1000000] [--database-url URL]

1. Ceilings, same machine, same rows: bare sqlite3 `executemany` into the log_records
   schema (its indexes included) in committed batches, without and with filling the FTS5
   index in the same transaction; and the in-process decode rates (OTLP protobuf, JSON).
2. Ingest from a separate process over several keep-alive connections, closed loop:
   OTLP/HTTP protobuf batches, then the brief's JSON batches. Sustained records/s and
   request latency percentiles. The server's worker derives (FTS + Drain) meanwhile.
3. Derive backlog: how many records the index trails by after ingest, and its rate.
4. Full-text search latency with --search-lines stored (topped up by OTLP ingest, after
   the index has caught up): several query shapes, sequential requests.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sqlite3
import tempfile
import time
import urllib.parse
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from harness import INGEST_KEY, HttpConnection, percentile, print_table, running_server
from log_factory import json_request, lines, otlp_request

TARGET_RECORDS_PER_SECOND = 150_000
TARGET_SEARCH_P95_MS = 300.0
BODIES = 48  # distinct request bodies cycled by the load generator


def bodies(kind: str, batch: int, now_ns: int) -> list[bytes]:
    """Bodies whose record times all lie in one 2**32 ns block (OTLP) or one second
    (JSON), so that `retimed` can move a whole batch forward by a byte replace."""
    if kind == "otlp":
        base = (now_ns >> 32) << 32
        return [otlp_request(lines(batch, seed=i), base) for i in range(BODIES)]
    base = now_ns // 10**9 * 10**9
    return [json_request(lines(batch, seed=i), base) for i in range(BODIES)]


def retimed(kind: str, body: bytes, now_ns: int, counter: int) -> bytes:
    """The body with its records moved to a later time slot per request, so that times
    advance as real traffic's do (indexes on time append instead of inserting mid-tree)."""
    if kind == "otlp":
        block = now_ns >> 32
        return body.replace(block.to_bytes(4, "little"), (block + counter).to_bytes(4, "little"))
    seconds = now_ns // 10**9
    return body.replace(
        b'"timestamp":%d' % seconds, b'"timestamp":%d' % (seconds - 3600 + counter // 4)
    )


# ----------------------------------------------------------------------------- ceilings


def ceilings(batch: int, rounds: int) -> dict[str, float]:
    from sqlalchemy import create_engine, text

    from sentinel.ingest.otlp.logs import decode_protobuf
    from sentinel.logs import brief
    from sentinel.logs.writer import _SQLITE
    from sentinel.storage.migrate import alembic_config

    now_ns = time.time_ns()
    js = bodies("json", batch, now_ns)
    out: dict[str, float] = {}
    started = time.perf_counter()
    old = now_ns - (1 << 32) * 1000
    pb = bodies("otlp", batch, old)
    prepared = [
        decode_protobuf(retimed("otlp", pb[r % len(pb)], old, r)).rows for r in range(rounds)
    ]
    out["decode_otlp"] = rounds * batch / (time.perf_counter() - started)
    started = time.perf_counter()
    for r in range(rounds):
        brief.decode_json(js[r % len(js)])
    out["decode_json"] = rounds * batch / (time.perf_counter() - started)

    from alembic import command

    for with_fts in (False, True):
        path = Path(tempfile.mkdtemp(prefix="sentinel-log-ceiling-")) / "ceiling.db"
        engine = create_engine(f"sqlite:///{path}")
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0004")
            conn.execute(text("SELECT 1"))
        engine.dispose()
        db = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-65536"):
            db.execute(f"PRAGMA {pragma}")
        last = 0
        started = time.perf_counter()
        for rows in prepared:
            db.execute("BEGIN")
            db.executemany(_SQLITE, rows)
            if with_fts:
                db.execute(
                    "INSERT INTO log_fts(rowid, body) SELECT id, body FROM log_records "
                    "WHERE id > ?",
                    (last,),
                )
                last += len(rows)
            db.execute("COMMIT")
        elapsed = time.perf_counter() - started
        db.close()
        out["sqlite_fts" if with_fts else "sqlite"] = rounds * batch / elapsed
    return out


# ------------------------------------------------------------------------------ ingest


@dataclass
class IngestResult:
    records: int = 0
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)


def run_ingest(host: str, port: int, kind: str, seconds: float, conns: int, batch: int) -> Any:
    return asyncio.run(_ingest(host, port, kind, seconds, conns, batch))


async def _ingest(
    host: str, port: int, kind: str, seconds: float, connections: int, batch: int
) -> IngestResult:
    now_ns = time.time_ns() - (1 << 32) * 2000  # start the OTLP blocks ~2.4 h back
    if kind != "otlp":
        now_ns = time.time_ns()
    payloads = bodies(kind, batch, now_ns)
    path, media = (
        ("/v1/logs", "application/x-protobuf")
        if kind == "otlp"
        else ("/api/logs/ingest", "application/json")
    )
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Bearer {INGEST_KEY}\r\nContent-Type: {media}\r\n"
    )
    result = IngestResult()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    counter = 0

    async def worker() -> None:
        nonlocal counter
        conn = HttpConnection(host, port)
        while loop.time() < deadline:
            counter += 1
            body = retimed(kind, payloads[counter % len(payloads)], now_ns, counter)
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
                result.records += batch
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


def in_subprocess(fn, *args):  # type: ignore[no-untyped-def]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(fn, *args).result()


# ------------------------------------------------------------------------------ reads


def index_state(url: str, token: str) -> dict[str, Any]:
    response = httpx.get(
        f"{url}/api/logs/search",
        params={"query": "zzzznotthere"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    response.raise_for_status()
    state: dict[str, Any] = response.json()["index"]
    return state


def wait_for_index(url: str, token: str, limit_s: float) -> tuple[int, float, float]:
    """(records pending at the start, seconds to catch up, records/s derived)."""
    first = index_state(url, token)
    pending0, start_id = first["pending_records"], first["indexed_through_id"]
    started = time.monotonic()
    state = first
    while state["pending_records"] > 0 and time.monotonic() - started < limit_s:
        time.sleep(1.0)
        state = index_state(url, token)
    elapsed = time.monotonic() - started
    done = state["indexed_through_id"] - start_id
    return pending0, elapsed, done / elapsed if elapsed > 0 else float("inf")


SEARCHES = {
    "rare term": {"query": "foxtrot7"},
    "common term": {"query": "payment"},
    "phrase": {"query": '"connection reset by peer"'},
    "term + service + level": {"query": "timeout", "service_name": "payments", "level": "error"},
    "attribute + term": {"query": "region:eu-1 slow"},
    "natural language": {"query": "show me errors from payments in the last hour"},
    "no text, service, page 2": {"service_name": "search", "limit": "100"},
}


def run_searches(host: str, port: int, token: str, rounds: int) -> dict[str, list[float]]:
    return asyncio.run(_searches(host, port, token, rounds))


async def _searches(host: str, port: int, token: str, rounds: int) -> dict[str, list[float]]:
    conn = HttpConnection(host, port)
    loop = asyncio.get_running_loop()
    out: dict[str, list[float]] = {}
    for name, params in SEARCHES.items():
        query = urllib.parse.urlencode({"limit": "50", **params})
        raw = (
            f"GET /api/logs/search?{query} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()
        out[name] = []
        for _ in range(rounds):
            started = loop.time()
            status, body = await conn.request(raw)
            if status != 200:
                raise RuntimeError(f"{name}: HTTP {status} {body[:200]!r}")
            out[name].append(loop.time() - started)
    await conn.close()
    return out


def row(name: str, result: IngestResult, ceiling: float) -> list[str]:
    lat = sorted(result.latencies)
    rate = result.records / result.seconds if result.seconds else 0.0
    return [
        name,
        f"{rate:,.0f}",
        f"{result.requests / result.seconds:,.1f}",
        f"{percentile(lat, 50) * 1000:.0f}",
        f"{percentile(lat, 95) * 1000:.0f}",
        f"{percentile(lat, 99) * 1000:.0f}",
        str(result.errors),
        f"{rate / ceiling:.0%}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--connections", type=int, default=6)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--search-lines", type=int, default=1_000_000)
    parser.add_argument("--search-rounds", type=int, default=30)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    c = ceilings(args.batch, 200)
    print(f"bare SQLite executemany into log_records: {c['sqlite']:,.0f} rows/s")
    print(f"  ... with the FTS5 index filled in the same transaction: {c['sqlite_fts']:,.0f}")
    otlp_rate, json_rate = c["decode_otlp"], c["decode_json"]
    print(f"in-process decode: OTLP protobuf {otlp_rate:,.0f}/s, JSON {json_rate:,.0f}/s")

    with running_server(args.database_url) as server:
        token = server.admin_token()
        rows = []
        best = 0.0
        for kind, label in (("otlp", "OTLP/HTTP protobuf"), ("json", "brief JSON batch")):
            result = in_subprocess(
                run_ingest, server.host, server.port, kind, args.seconds, args.connections,
                args.batch,
            )  # fmt: skip
            rows.append(row(f"{label} x{args.batch}", result, c["sqlite"]))
            best = max(best, result.records / result.seconds)
            if result.error_samples:
                print(f"{label} errors: {result.error_samples}")
            pending, took, rate = wait_for_index(server.url, token, 600)
            print(
                f"after {label}: index trailed by {pending:,} records, caught up in "
                f"{took:.1f} s ({rate:,.0f} records/s derived: FTS + Drain)"
            )
        with running_server(
            args.database_url, extra_env={"SENTINEL_WORKER_ENABLED": "false"}
        ) as bare_server:
            # The same load with the derive worker off: the ingest path's own cost, the
            # index and patterns deferred (they catch up when the worker runs again).
            result = in_subprocess(
                run_ingest, bare_server.host, bare_server.port, "otlp", args.seconds,
                args.connections, args.batch,
            )  # fmt: skip
            rows.append(row("OTLP, worker off (derive deferred)", result, c["sqlite"]))
        print_table(
            f"Log ingest, closed loop, {args.connections} connections, separate process "
            f"(load average now {os.getloadavg()[0]:.2f})",
            ["what", "records/s", "req/s", "P50 ms", "P95 ms", "P99 ms", "errors", "vs bare"],
            rows,
        )
        stored = index_state(server.url, token)["indexed_through_id"]
        if args.search_lines and stored < args.search_lines:
            need = args.search_lines - stored
            per_second = max(best, 20_000)
            seconds = max(5.0, need / per_second * 1.2)
            print(f"topping up {need:,} lines ({seconds:.0f} s of OTLP ingest)...")
            while stored < args.search_lines:
                in_subprocess(
                    run_ingest, server.host, server.port, "otlp", seconds, args.connections,
                    args.batch,
                )  # fmt: skip
                wait_for_index(server.url, token, 1800)
                stored = index_state(server.url, token)["indexed_through_id"]
                seconds = max(5.0, (args.search_lines - stored) / per_second * 1.2)
        print(f"stored and indexed: {stored:,} lines")
        found = in_subprocess(run_searches, server.host, server.port, token, args.search_rounds)
        table = []
        worst = 0.0
        for name, values in found.items():
            values.sort()
            p95 = percentile(values, 95) * 1000
            worst = max(worst, p95)
            table.append(
                [
                    name,
                    f"{percentile(values, 50) * 1000:.1f}",
                    f"{p95:.1f}",
                    f"{values[-1] * 1000:.1f}",
                ]
            )
        print_table(
            f"Log search at {stored:,} lines, sequential, newest 50 hits",
            ["query", "P50 ms", "P95 ms", "max ms"],
            table,
        )
    met = best >= TARGET_RECORDS_PER_SECOND and worst < TARGET_SEARCH_P95_MS
    print(
        f"targets: ingest >= {TARGET_RECORDS_PER_SECOND:,}/s: {best:,.0f}; "
        f"search P95 < {TARGET_SEARCH_P95_MS:.0f} ms: worst {worst:.0f} ms -> "
        f"{'met' if met else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

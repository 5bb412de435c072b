"""The demo's traffic over time: when the failure starts, and the spans and logs of any
time window. Pure and seeded: the same seed and window give the same telemetry."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from sentinel.demo.flows import HEALTHY, Health
from sentinel.demo.purchase import FrontendRequest
from sentinel.demo.records import MS, Batch, LogRecord, TraceBuilder
from sentinel.demo.topology import (
    CLIENT,
    DATASTORES,
    INTERNAL,
    REINDEX_OPERATION,
    REINDEX_SPANS,
    ROUTES,
    SERVICES,
)

SECOND = 1000 * MS
MINUTE = 60 * SECOND
# The payments DB degrades first (timeouts a retry still absorbs); the outage follows.
DEGRADED_FOR = 2 * MINUTE


@dataclass(frozen=True)
class Timeline:
    """The demo's story in absolute times (ns since the epoch)."""

    seed: int
    start_ns: int  # the history (back-fill) begins
    now_ns: int  # the demo started: history ends, live traffic begins
    failure_ns: int  # payments' DB connections start timing out
    outage_ns: int  # retries stop helping: payments, checkout and the frontend fail
    reindex_ns: int  # the nightly-style batch job whose trace has 5,000 spans
    rate_per_s: float = 2.0

    def health(self, at_ns: int) -> Health:
        if at_ns < self.failure_ns:
            return HEALTHY
        if at_ns < self.outage_ns:
            return Health(db_timeout_p=0.35, retry_saves=True, db_slowdown=3.0)
        return Health(db_timeout_p=0.75, retry_saves=False, db_slowdown=4.0)

    def rate(self, at_ns: int) -> float:
        """Requests per second: a slow wave, so the charts have shape."""
        phase = 2 * math.pi * (at_ns / (40 * MINUTE))
        return self.rate_per_s * (1.0 + 0.3 * math.sin(phase))


def plan(now_ns: int, history_ns: int, seed: int, rate_per_s: float = 2.0) -> Timeline:
    """Place the failure partway through the history, on a minute boundary (root-cause
    ranking works per minute): 30% of the history before now, at most 20 minutes. With
    less than ten minutes of history it starts two minutes into the live traffic."""
    lead = min(int(history_ns * 0.3), 20 * MINUTE)
    if lead >= 3 * MINUTE:
        failure = (now_ns - lead) // MINUTE * MINUTE
    else:
        failure = (now_ns + 3 * MINUTE) // MINUTE * MINUTE
    start = now_ns - history_ns
    reindex = start + min(2 * MINUTE, history_ns // 10) if history_ns >= MINUTE else now_ns + MINUTE
    return Timeline(seed, start, now_ns, failure, failure + DEGRADED_FOR, reindex, rate_per_s)


def _routes(rng: random.Random) -> str:
    pick = rng.random()
    for route, share in ROUTES:
        pick -= share
        if pick < 0:
            return route
    return ROUTES[0][0]


def generate(timeline: Timeline, start_ns: int, end_ns: int) -> Batch:
    """All spans and logs whose requests start in [start_ns, end_ns)."""
    rng = random.Random(f"{timeline.seed}:{start_ns}:{end_ns}")
    batch = Batch()
    t = start_ns
    while True:
        t += int(rng.expovariate(timeline.rate(t)) * SECOND)
        if t >= end_ns:
            break
        builder = TraceBuilder(rng, batch)
        FrontendRequest(builder, timeline.health(t)).run(_routes(rng), t)
    if start_ns <= timeline.reindex_ns < end_ns:
        reindex_trace(TraceBuilder(rng, batch), timeline.reindex_ns)
    _background_logs(timeline, batch, start_ns, end_ns)
    return batch


def _background_logs(timeline: Timeline, batch: Batch, start_ns: int, end_ns: int) -> None:
    """Lines not tied to a request: probes, the DB pool gauge, periodic jobs."""
    first = -(-start_ns // (15 * SECOND)) * 15 * SECOND
    for tick in range(first, end_ns, 15 * SECOND):
        for name, service in SERVICES.items():
            for instance in range(len(service.instances)):
                at = tick + instance * 7 * MS
                batch.logs.append(
                    LogRecord(at, name, instance, "DEBUG", "GET /healthz 200 (kubelet probe)")
                )
        health = timeline.health(tick)
        seed = (tick // SECOND) % 7
        if health.db_timeout_p:
            used, waiting = 20, 12 + seed * 5 if health.retry_saves else 31 + seed * 3
            line = f"db pool payments-primary: {used}/20 connections in use, {waiting} waiting"
            batch.logs.append(LogRecord(tick, "payments", 0, "WARN", line))
        else:
            line = f"db pool payments-primary: {4 + seed}/20 connections in use, 0 waiting"
            batch.logs.append(LogRecord(tick, "payments", 0, "DEBUG", line))
        if tick % MINUTE == 0:
            changed = 3 + (tick // MINUTE) % 17
            batch.logs.append(
                LogRecord(
                    tick + 40 * MS,
                    "inventory",
                    1,
                    "INFO",
                    f"stock sync finished: 4900 products, {changed} changed "
                    f"in {600 + changed * 9} ms",
                )
            )


def reindex_trace(b: TraceBuilder, start: int) -> int:
    """The catalog re-index job: 1 root + 1 load + 49 batches × (1 read + 100 index calls)
    = 5,000 spans in one trace, about half a minute long."""
    root = b.new_id()
    search = DATASTORES["search-index"]
    db = DATASTORES["inventory-db"]

    def store_span(parent: bytes, at: int, took: int, ds: str, op: str, coll: str, q: str) -> int:
        store = DATASTORES[ds]
        attrs: dict[str, str | int | float | bool] = {
            "db.system.name": store.system,
            "db.operation.name": op,
            "db.collection.name": coll,
            "db.query.text": q,
            "server.address": store.host,
            "server.port": store.port,
            "peer.service": store.name,
        }
        b.span(b.new_id(), parent, "inventory", f"{op} {coll}", CLIENT, at, at + took, attrs)
        return at + took

    batches, per_batch = 49, 100
    t = start + b.ms(2.0)
    b.log(
        "inventory",
        "INFO",
        "catalog re-index started: 4900 products",
        t,
        root,
        job="catalog-reindex",
    )
    t = store_span(
        root,
        t,
        b.ms(180.0, 0.2),
        db.name,
        "SELECT",
        "products",
        "SELECT * FROM products ORDER BY id",
    )
    for index in range(batches):
        batch_id = b.new_id()
        began = t
        t += b.ms(0.5)
        t = store_span(
            batch_id,
            t,
            b.ms(6.0),
            db.name,
            "SELECT",
            "product_attributes",
            "SELECT * FROM product_attributes WHERE product_id = ANY($1)",
        )
        for _ in range(per_batch):
            t = store_span(
                batch_id,
                t + b.ms(0.2, 0.2),
                b.ms(4.0, 0.5),
                search.name,
                "index",
                "products",
                "PUT /products/_doc/{id}",
            )
        t += b.ms(0.5)
        b.span(
            batch_id,
            root,
            "inventory",
            "reindex batch",
            INTERNAL,
            began,
            t,
            {"batch.index": index, "batch.size": per_batch},
        )
        b.log(
            "inventory",
            "DEBUG",
            f"re-index batch {index + 1}/{batches}: {per_batch} products in {(t - began) // MS} ms",
            t,
            batch_id,
        )
    end = t + b.ms(3.0)
    b.span(
        root,
        b"",
        "inventory",
        REINDEX_OPERATION,
        INTERNAL,
        start,
        end,
        {
            "job.name": "catalog-reindex",
            "catalog.products": batches * per_batch,
            "demo.kind": "large-trace",
            "demo.span_count": REINDEX_SPANS,
        },
    )
    b.log(
        "inventory",
        "INFO",
        f"catalog re-index finished: {batches * per_batch} products in {(end - start) // MS} ms",
        end,
        root,
        job="catalog-reindex",
    )
    return end

"""On-call paging: latency from an alert group falling due to the first notification at
a loopback receiver, and escalations handled per second by one and by three workers.

Issue 6 target: P99 < 1 s from "group due" to "first notification received".

    .venv/bin/python benchmarks/bench_notify.py                  # 100 pages, 2,000 escalations
    .venv/bin/python benchmarks/bench_notify.py --pages 50 --escalations 1000

Latency: a live `sentinel serve` (SQLite, worker on; alert tick and on-call tick 0.1 s,
worker poll 0.1 s) with one route → policy → user whose contact method is a webhook on a
loopback HTTP server. Alerts are fired one at a time through `POST /api/v2/alerts`
(group_wait 0, one group per alert). Two figures per page: from the group's `notify` event
(alerting declared it due) to receipt, and from the POST itself to receipt (includes the
alerting tick).

Throughput: a fresh PostgreSQL database seeded with N open groups, each with a `notify`
event naming a one-step policy (page one user by webhook); W worker processes run the
on-call tick (events → escalations → outbox → HTTP) until everything is sent. Reported:
escalations per second from the first worker's start to the last page, and the
exactly-once check (N distinct idempotency keys received, none twice).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from harness import INGEST_KEY, running_server

PG_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "sentinel_bench_notify"
TARGET_P99 = 1.0


class Receiver:
    """A loopback HTTP server recording (path, idempotency key, wall time) per POST."""

    def __init__(self) -> None:
        self.hits: list[tuple[str, str, float]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.hits.append(
                        (self.path, self.headers.get("Idempotency-Key", ""), time.time())
                    )
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 512
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def first(self, path: str) -> float | None:
        with self.lock:
            return next((t for p, _, t in self.hits if p == path), None)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# --------------------------------------------------------------------------- latency


def latency(pages: int) -> dict[str, float]:
    receiver = Receiver()
    env = {
        "SENTINEL_ALERT_TICK_SECONDS": "0.1",
        "SENTINEL_NOTIFY_TICK_SECONDS": "0.1",
        "SENTINEL_WORKER_POLL_SECONDS": "0.1",
        "SENTINEL_LOG_LEVEL": "WARNING",
        "SENTINEL_ALERT_SMART_GROUP_WINDOW_SECONDS": "0",  # one group per alert
        "SENTINEL_NOTIFY_RATE_LIMIT_PER_MINUTE": "100000",  # one receiver takes every page
    }
    try:
        with running_server(extra_env=env) as server:
            admin = {"Authorization": f"Bearer {server.admin_token()}"}
            http = httpx.Client(base_url=server.url, headers=admin, timeout=30)
            user = http.post(
                "/api/users",
                json={
                    "email": "pager@example.com",
                    "name": "Pager",
                    "password": "password-123",
                    "role": "responder",
                },
            ).json()["id"]
            http.post(
                f"/api/oncall/users/{user}/contact-methods",
                json={"kind": "webhook", "address": f"{receiver.url}/page"},
            )
            policy = http.post(
                "/api/oncall/escalation-policies",
                json={"name": "bench", "steps": [{"kind": "notify_users", "targets": [user]}]},
            ).json()
            http.post(
                "/api/alerting/routes",
                json={
                    "name": "bench",
                    "matchers": ['service=~"bench-.*"'],
                    "group_by": ["service"],
                    "escalation_policy_id": policy["id"],
                    "group_wait_s": 0,
                },
            ).raise_for_status()
            from_post: list[float] = []
            for n in range(pages):
                before = len(receiver.hits)
                sent_at = time.time()
                http.post(
                    "/api/v2/alerts",
                    headers={"Authorization": f"Bearer {INGEST_KEY}"},
                    json=[
                        {
                            "labels": {
                                "alertname": "Bench",
                                "service": f"bench-{n}",
                                "severity": "critical",
                            }
                        }
                    ],
                ).raise_for_status()
                deadline = time.monotonic() + 30
                while len(receiver.hits) == before and time.monotonic() < deadline:
                    time.sleep(0.002)
                if len(receiver.hits) == before:
                    raise RuntimeError(f"page {n} never arrived:\n{server.log_tail()}")
                from_post.append(receiver.hits[before][2] - sent_at)
            events = http.get("/api/alerts/events", params={"limit": 1000}).json()
            notify_at = {
                e["group_id"]: datetime.fromisoformat(e["at"].replace("Z", "+00:00")).timestamp()
                for e in events
                if e["kind"] == "notify"
            }
            groups = sorted(notify_at)
            arrivals = [t for _, _, t in receiver.hits]
            from_due = [arrivals[i] - notify_at[g] for i, g in enumerate(groups[: len(arrivals)])]
    finally:
        receiver.stop()
    return {
        "due_p50": statistics.median(from_due),
        "due_p99": pct(from_due, 0.99),
        "due_max": max(from_due),
        "post_p50": statistics.median(from_post),
        "post_p99": pct(from_post, 0.99),
    }


# --------------------------------------------------------------------------- throughput


async def reset_database(url: str, receiver_url: str, escalations: int) -> None:
    from sentinel.alerting.models import Alert, AlertEvent, AlertGroup, AlertGroupMember
    from sentinel.auth.models import User
    from sentinel.oncall.models import ContactMethod, EscalationPolicy
    from sentinel.storage import migrate
    from sentinel.storage.engine import Database

    admin = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)"))
        await conn.execute(text(f"CREATE DATABASE {PG_BENCH_DB}"))
    await admin.dispose()
    db = Database(url)
    await migrate.upgrade(db)
    now = datetime.now(UTC)
    async with db.transaction() as session:
        user = User(email="p@example.com", name="p", password_hash="x", role="responder")  # noqa: S106
        session.add(user)
        await session.flush()
        session.add(ContactMethod(user_id=user.id, kind="webhook", address=f"{receiver_url}/e"))
        policy = EscalationPolicy(
            name="p", steps=[{"kind": "notify_users", "targets": [user.id], "wait_minutes": 0}]
        )
        session.add(policy)
        await session.flush()
        await session.execute(
            insert(AlertGroup),
            [
                {
                    "group_key": f"g{n}",
                    "receiver": "r",
                    "escalation_policy_id": policy.id,
                    "status": "open",
                    "title": f"group {n}",
                    "alert_count": 1,
                    "group_wait_s": 0,
                    "group_interval_s": 300,
                    "repeat_interval_s": 3600,
                    "created_at": now,
                    "next_flush_at": now + timedelta(hours=1),
                }
                for n in range(escalations)
            ],
        )
        ids = list(await session.scalars(select(AlertGroup.id)))
        placed = await session.execute(
            insert(Alert).returning(Alert.id, Alert.group_id),
            [
                {
                    "fingerprint": f"{n:016x}",
                    "labels": {},
                    "annotations": {},
                    "alert_name": "A",
                    "severity": "high",
                    "status": "firing",
                    "source": "api",
                    "starts_at": now,
                    "last_seen_at": now,
                    "group_id": gid,
                }
                for n, gid in enumerate(ids)
            ],
        )
        await session.execute(
            insert(AlertGroupMember),
            [
                {"alert_id": aid, "group_id": gid, "position": 0, "joined_at": now}
                for aid, gid in placed.all()
            ],
        )
        await session.execute(
            insert(AlertEvent),
            [
                {
                    "alert_id": None,
                    "group_id": gid,
                    "kind": "notify",
                    "at": now,
                    "actor": "system",
                    "detail": {"escalation_policy_id": policy.id, "group_status": "open"},
                }
                for gid in ids
            ],
        )
    await db.dispose()


async def work(url: str) -> tuple[float, float]:
    from sentinel.notify.config import NotifySettings
    from sentinel.notify.models import OutboxMessage
    from sentinel.oncall.models import Escalation
    from sentinel.oncall.tasks import escalate_and_deliver
    from sentinel.storage.engine import Database

    db = Database(url)
    settings = NotifySettings(rate_limit_per_minute=1_000_000, batch_size=200)
    started = time.time()
    try:
        while True:
            done = await escalate_and_deliver(db, settings, "bench-secret")
            if done == 0:
                async with db.transaction() as session:
                    left = await session.scalar(
                        select(func.count())
                        .select_from(Escalation)
                        .where(Escalation.status == "active")
                    )
                    left = (left or 0) + (
                        await session.scalar(
                            select(func.count())
                            .select_from(OutboxMessage)
                            .where(OutboxMessage.status.in_(["pending", "sending"]))
                        )
                        or 0
                    )
                    started_any = await session.scalar(select(func.count()).select_from(Escalation))
                if left == 0 and started_any:
                    break
                await asyncio.sleep(0.01)
    finally:
        await db.dispose()
    return started, time.time()


def work_in_process(url: str, out: Any) -> None:
    out.put(asyncio.run(work(url)))


def throughput(escalations: int, workers: int) -> dict[str, float]:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_BENCH_DB}"
    receiver = Receiver()
    try:
        asyncio.run(reset_database(url, receiver.url, escalations))
        context = multiprocessing.get_context("spawn")
        out = context.Queue()
        processes = [
            context.Process(target=work_in_process, args=(url, out)) for _ in range(workers)
        ]
        for p in processes:
            p.start()
        spans = [out.get(timeout=600) for _ in processes]
        for p in processes:
            p.join()
        start = min(s for s, _ in spans)
        last_page = max(t for _, _, t in receiver.hits)
        keys = Counter(k for _, k, _ in receiver.hits)
    finally:
        receiver.stop()
    return {
        "per_second": escalations / (last_page - start),
        "pages": len(receiver.hits),
        "distinct": len(keys),
        "max_per_key": max(keys.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--escalations", type=int, default=2000)
    args = parser.parse_args()
    lat = latency(args.pages)
    print(f"group due → first page received ({args.pages} pages, SQLite, live server):")
    print(
        f"  from the notify event:  P50 {lat['due_p50'] * 1000:.0f} ms   "
        f"P99 {lat['due_p99'] * 1000:.0f} ms   max {lat['due_max'] * 1000:.0f} ms   "
        f"(target P99 < {TARGET_P99 * 1000:.0f} ms: "
        f"{'met' if lat['due_p99'] < TARGET_P99 else 'MISSED'})"
    )
    print(
        f"  from the alert POST:    P50 {lat['post_p50'] * 1000:.0f} ms   "
        f"P99 {lat['post_p99'] * 1000:.0f} ms"
    )
    for workers in (1, 3):
        result = throughput(args.escalations, workers)
        print(
            f"{workers} worker(s), PostgreSQL, {args.escalations} escalations: "
            f"{result['per_second']:.0f} escalations/s; pages {result['pages']:.0f}, "
            f"distinct keys {result['distinct']:.0f}, max per key {result['max_per_key']:.0f}"
        )


if __name__ == "__main__":
    main()

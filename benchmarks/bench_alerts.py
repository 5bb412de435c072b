"""Alert ingest through the Alertmanager v2 API, beside the real Alertmanager and bare SQLite.

SPEC §7 target: ≥ 5,000 alerts/s (embedded SQLite, this machine), no duplicate pages.

    .venv/bin/python benchmarks/bench_alerts.py                   # 20 s each, batches of 256
    .venv/bin/python benchmarks/bench_alerts.py --duration 10 --connections 4 --batch 64

A load process (spawned, so it shares nothing with either server) POSTs batches shaped
like Prometheus's (`POST /api/v2/alerts`, a JSON list with labels, annotations, startsAt,
endsAt = now + 4 min, generatorURL) as fast as the server answers, over `--connections`
keep-alive connections (bodies prepared before the clock starts). The mix per batch is
what a rule evaluator produces: mostly re-sends of alerts already firing (85%), some new
alerts (10%) and some resolves (endsAt in the past, 5%). The same load then runs against
the real Alertmanager (Debian package `prometheus-alertmanager`) and the ratio is
printed. The ceiling is bare SQLite upserting the same rows (one transaction per batch).

Afterwards the benchmark checks the dedup invariant: one alert row per distinct label set.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from harness import INGEST_KEY, free_port, running_server

TARGET = 5000.0


# --------------------------------------------------------------------------- the load


class AlertMix:
    """Prometheus-shaped alerts: a growing population, mostly re-sent."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.firing: list[dict[str, str]] = []
        self.next_id = 0

    def _new_labels(self) -> dict[str, str]:
        self.next_id += 1
        n = self.next_id
        return {
            "alertname": self.rng.choice(
                ["HighCPU", "HighLatency", "PodCrashLooping", "DiskFilling", "ErrorRate"]
            ),
            "instance": f"10.{self.seed}.{n // 250 % 250}.{n % 250}:9100",
            "job": self.rng.choice(["node", "api", "checkout", "payments", "search"]),
            "namespace": f"ns-{n % 17}",
            "pod": f"pod-{self.seed}-{n}",
            "severity": self.rng.choice(["critical", "warning", "warning", "info"]),
        }

    def batch(self, size: int) -> bytes:
        now = datetime.now(UTC)
        out = []
        for _ in range(size):
            roll = self.rng.random()
            if not self.firing or roll < 0.10:
                labels = self._new_labels()
                self.firing.append(labels)
                ends = now + timedelta(minutes=4)
            elif roll < 0.15:
                labels = self.firing.pop(self.rng.randrange(len(self.firing)))
                ends = now - timedelta(seconds=1)
            else:
                labels = self.firing[self.rng.randrange(len(self.firing))]
                ends = now + timedelta(minutes=4)
            out.append(
                {
                    "labels": labels,
                    "annotations": {
                        "summary": f"{labels['alertname']} on {labels['instance']}",
                        "description": "value is 97.3% (threshold 90%) for the last 5 minutes",
                        "runbook_url": "https://runbooks.example.com/" + labels["alertname"],
                    },
                    "startsAt": (now - timedelta(minutes=2)).isoformat(),
                    "endsAt": ends.isoformat(),
                    "generatorURL": "http://prometheus:9090/graph?g0.expr=up%3D%3D0&g0.tab=1",
                }
            )
        return json.dumps(out).encode()


async def _drive(
    url: str, headers: dict[str, str], duration: float, connections: int, batch: int, seed: int
) -> dict[str, Any]:
    latencies: list[float] = []
    sent = errors = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=60
    ) as client:
        mixes = [AlertMix(seed * 100 + i) for i in range(connections)]
        for mix in mixes:  # warm-up: every worker has firing alerts before timing starts
            await client.post(
                "/api/v2/alerts",
                content=mix.batch(batch),
                headers={"Content-Type": "application/json"},
            )
        # Bodies are prepared before the clock starts (in the order live generation would
        # produce them), so the load process spends its CPU on sending, not on JSON.
        ahead = max(50, int(duration * 40))
        bodies = {id(m): [m.batch(batch) for _ in range(ahead)] for m in mixes}
        deadline = time.perf_counter() + duration

        async def worker(mix: AlertMix) -> None:
            nonlocal sent, errors
            queue = bodies[id(mix)]
            while time.perf_counter() < deadline:
                body = queue.pop(0) if queue else mix.batch(batch)
                started = time.perf_counter()
                r = await client.post(
                    "/api/v2/alerts", content=body, headers={"Content-Type": "application/json"}
                )
                latencies.append(time.perf_counter() - started)
                if r.status_code == 200:
                    sent += batch
                else:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(m) for m in mixes))
        elapsed = time.perf_counter() - started
    distinct = sum(m.next_id for m in mixes)
    return {
        "alerts": sent,
        "seconds": elapsed,
        "latencies": latencies,
        "errors": errors,
        "distinct": distinct,
    }


def drive(*args: Any) -> dict[str, Any]:
    return asyncio.run(_drive(*args))


def run_load(
    url: str, headers: dict[str, str], args: argparse.Namespace, seed: int
) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        result: dict[str, Any] = pool.apply(
            drive, (url, headers, args.duration, args.connections, args.batch, seed)
        )
    return result


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if ordered else 0.0


def row(name: str, r: dict[str, Any], cpu_seconds: float | None = None) -> dict[str, Any]:
    lat = r["latencies"]
    return {
        "target": name,
        "alerts/s": r["alerts"] / r["seconds"],
        "requests": len(lat),
        "p50 ms": pct(lat, 50) * 1000,
        "p95 ms": pct(lat, 95) * 1000,
        "p99 ms": pct(lat, 99) * 1000,
        "errors": r["errors"],
        # Server CPU per alert (user + system, all threads): steadier than alerts/s on a
        # machine shared with other work, which takes cores from the server.
        "cpu us/alert": cpu_seconds / r["alerts"] * 1e6 if cpu_seconds and r["alerts"] else "-",
    }


def consumers_behind(server_db: Path | None) -> int | None:
    """Alert events the incident automation has not read yet (SQLite only)."""
    if server_db is None or not server_db.exists():
        return None
    conn = sqlite3.connect(server_db, timeout=30)
    try:
        newest = conn.execute("SELECT coalesce(max(id), 0) FROM alert_events").fetchone()[0]
        cursor = conn.execute(
            "SELECT coalesce(max(last_id), 0) FROM incident_cursor WHERE name = 'alert_events'"
        ).fetchone()[0]
    finally:
        conn.close()
    return int(newest) - int(cursor)


def catch_up(server_db: Path | None, limit: float = 120.0) -> str:
    """How far the worker's alert-event consumers trailed when the load stopped, and how
    long they took to catch up (they run beside ingest, on the same core)."""
    behind = consumers_behind(server_db)
    if behind is None:
        return "n/a (not SQLite)"
    started = time.monotonic()
    left = behind
    while left and time.monotonic() - started < limit:
        time.sleep(0.25)
        left = consumers_behind(server_db) or 0
    took = time.monotonic() - started
    state = f"caught up in {took:.1f} s" if not left else f"{left} still unread after {limit:.0f} s"
    return f"{behind} alert events unread when the load stopped; {state}"


# --------------------------------------------------------------------------- the others


def start_alertmanager(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if binary is None:
        raise SystemExit(
            "prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)"
        )
    (workdir / "am.yml").write_text(
        "route: {receiver: blackhole, group_by: [alertname, job]}\nreceivers: [{name: blackhole}]\n"
    )
    port = free_port()
    log = (workdir / "alertmanager.log").open("wb")
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={workdir / 'am.yml'}",
            f"--storage.path={workdir / 'am'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("alertmanager did not become ready")


def sqlite_ceiling(batches: int, batch: int) -> float:
    """Bare sqlite3: upsert the same rows (one transaction per batch), rows per second."""
    path = Path(tempfile.mkdtemp(prefix="bench-alerts-sqlite-")) / "ceiling.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE alerts (id INTEGER PRIMARY KEY, fingerprint TEXT UNIQUE, labels TEXT,"
        " annotations TEXT, ends_at TEXT, count INTEGER)"
    )
    mix = AlertMix(7)
    bodies = [json.loads(mix.batch(batch)) for _ in range(batches)]
    started = time.perf_counter()
    for alerts in bodies:
        rows = [
            (
                json.dumps(sorted(a["labels"].items())),
                json.dumps(a["labels"]),
                json.dumps(a["annotations"]),
                a["endsAt"],
            )
            for a in alerts
        ]
        with conn:
            conn.executemany(
                "INSERT INTO alerts (fingerprint, labels, annotations, ends_at, count)"
                " VALUES (?, ?, ?, ?, 1) ON CONFLICT(fingerprint) DO UPDATE SET"
                " count = count + 1, ends_at = excluded.ends_at,"
                " annotations = excluded.annotations",
                rows,
            )
    elapsed = time.perf_counter() - started
    conn.close()
    shutil.rmtree(path.parent, ignore_errors=True)
    return batches * batch / elapsed


def duplicate_check(server_db: Path | None) -> str:
    if server_db is None or not server_db.exists():
        return "skipped (not SQLite)"
    conn = sqlite3.connect(server_db)
    rows, distinct = conn.execute(
        "SELECT count(*), count(DISTINCT fingerprint) FROM alerts"
    ).fetchone()
    fired = conn.execute("SELECT count(*) FROM alert_events WHERE kind = 'fired'").fetchone()[0]
    occurrences = conn.execute("SELECT count(*) FROM alert_occurrences").fetchone()[0]
    conn.close()
    ok = rows == distinct and fired == occurrences
    return (
        f"{rows} alert rows for {distinct} label sets; {fired} fired events for "
        f"{occurrences} occurrences -> {'no duplicates' if ok else 'DUPLICATES'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument(
        "--batch", type=int, default=256, help="alerts per request (Prometheus: up to 256)"
    )
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args()
    print(
        f"load: {args.connections} connections, batches of {args.batch}, {args.duration:.0f} s"
        f" per target; mix 85% re-sends / 10% new / 5% resolves; cpus={os.cpu_count()},"
        f" load average {os.getloadavg()[0]:.2f}"
    )
    rows = []
    dedup = ""
    trailing = ""
    # The whole server (its worker runs every domain's periodic tasks, including those that
    # consume alert events), then ingest alone (SENTINEL_WORKER_ENABLED=false): on SQLite
    # the difference is write contention between the two.
    for name, worker in (("sentinel", "true"), ("sentinel, no worker", "false")):
        env = {"SENTINEL_LOG_LEVEL": args.log_level, "SENTINEL_WORKER_ENABLED": worker}
        with running_server(args.database_url, extra_env=env) as server:
            cpu = server.cpu_seconds()
            result = run_load(server.url, {"Authorization": f"Bearer {INGEST_KEY}"}, args, 1)
            rows.append(row(name, result, server.cpu_seconds() - cpu))
            if worker == "true":
                trailing = catch_up(server.sqlite_path)
            dedup = dedup or duplicate_check(server.sqlite_path)
    workdir = Path(tempfile.mkdtemp(prefix="bench-alertmanager-"))
    am, am_url = start_alertmanager(workdir)
    try:
        rows.append(row("alertmanager", run_load(am_url, {}, args, 1)))
    finally:
        am.terminate()
        am.wait(timeout=20)
        shutil.rmtree(workdir, ignore_errors=True)
    ceiling = sqlite_ceiling(200, args.batch)
    header = ["alerts/s", "requests", "p50 ms", "p95 ms", "p99 ms", "errors", "cpu us/alert"]
    print(f"{'target':>20}" + "".join(f"{h:>13}" for h in header))
    for r in rows:
        cells = [f"{r[h]:>13.1f}" if isinstance(r[h], float) else f"{r[h]:>13}" for h in header]
        print(f"{r['target']:>20}" + "".join(cells))
    sentinel, alone, alertmanager = (r["alerts/s"] for r in rows)
    print(
        f"bare SQLite upsert of the same rows: {ceiling:,.0f} rows/s "
        f"(sentinel = {sentinel / ceiling:.1%} of it, ingest alone {alone / ceiling:.1%})"
    )
    print(
        f"sentinel / alertmanager throughput ratio: {sentinel / alertmanager:.2f} "
        f"(ingest alone: {alone / alertmanager:.2f})"
    )
    print(f"dedup check: {dedup}")
    print(f"worker consumers (sentinel as served): {trailing}")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    print(f"target >= {TARGET:,.0f} alerts/s: {'MET' if sentinel >= TARGET else 'MISSED'}")
    return 0 if sentinel >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())

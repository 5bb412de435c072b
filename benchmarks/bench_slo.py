"""One SLO evaluation cycle over 1,000 SLOs with a month of minute data each.

SPEC/issue 8 target: < 5 s per cycle (embedded SQLite, this machine).

    .venv/bin/python benchmarks/bench_slo.py                 # 1,000 SLOs x 30 days
    .venv/bin/python benchmarks/bench_slo.py --slos 200 --days 7 --cycles 2
    .venv/bin/python benchmarks/bench_slo.py --database /tmp/slo.db          # keep the data
    .venv/bin/python benchmarks/bench_slo.py --database /tmp/slo.db --worker # real worker

The data: 1,000 SLOs (rolling 30d/28d/7d and calendar months in a time zone, 10%
timeslices, a few with recurring maintenance exclusions), each with one bucket per minute
for the last `--days` days (43,200 minute rows per SLO for 30 days, plus the hour
rollups the service keeps beside them), written with bare sqlite3 into a database created
by Sentinel's migrations. A share of the SLOs is burning in the last hours, so the cycle
also fires alerts through the alerting pipeline.

The figure: wall time of `evaluation_cycle` (the worker's periodic job: statuses for
every SLO, burn rates over 5m..3d, policy, prediction input, snapshots, alert states,
alert ingest), in its own committed transaction. By default it runs in this process
(there is no HTTP in this path); `--worker` starts a real `sentinel worker` process on the
same database and reads the cycle times it logs. The ceiling: bare SQLite summing the same
hour rows per SLO for a 30-day window in one GROUP BY.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sentinel.alerting.config import AlertingSettings
from sentinel.slo.config import SloSettings
from sentinel.slo.tasks import evaluation_cycle
from sentinel.storage import migrate
from sentinel.storage.engine import Database

TARGET_SECONDS = 5.0
PROFILES = 16


def profile(seed: int, minutes: int, burning: bool) -> list[tuple[float, float]]:
    """Per-minute (good, total): diurnal traffic, background errors, a few incidents."""
    rng = random.Random(seed)
    rows = []
    incidents = {rng.randrange(minutes) for _ in range(3)}
    in_incident = 0
    for m in range(minutes):
        total = float(60 + int(40 * abs(((m % 1440) - 720) / 720)) + rng.randrange(10))
        if m in incidents:
            in_incident = rng.randrange(10, 60)
        rate = 0.0005
        if in_incident:
            in_incident -= 1
            rate = 0.05
        if burning and m >= minutes - 180:
            rate = 0.03  # the last 3 hours burn hard enough to page a 99.9% SLO
        expected = total * rate
        bad = float(int(expected) + (rng.random() < expected - int(expected)))
        rows.append((total - bad, total))
    return rows


def load(path: Path, slos: int, days: int, now: datetime) -> float:
    """Write SLO definitions, minute buckets and hour rollups with bare sqlite3."""
    minutes = days * 1440
    now_m = int(now.timestamp() // 60)
    first = now_m - minutes
    started = time.perf_counter()
    profiles = {
        (p, burning): profile(p, minutes, burning)
        for p in range(PROFILES)
        for burning in (False, True)
    }
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    stamp = now.replace(tzinfo=None).isoformat(sep=" ")
    windows = [
        {"kind": "rolling", "duration": "30d"},
        {"kind": "rolling", "duration": "28d"},
        {"kind": "rolling", "duration": "7d"},
        {"kind": "calendar", "unit": "month", "tz": "Europe/Berlin"},
    ]
    for i in range(1, slos + 1):
        target = (0.99, 0.999, 0.9995)[i % 3]
        timeslices = i % 10 == 0
        slice_target = 0.99
        db.execute(
            "INSERT INTO slos (id, name, service, description, target, window, budgeting,"
            " timeslice_target, sli_source, sli_params, alerting, labels, created_by,"
            " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                i,
                f"slo-{i:04d}",
                f"service-{i % 50:02d}",
                "",
                target,
                json.dumps(windows[i % 4] if i % 7 else windows[0]),
                "timeslices" if timeslices else "occurrences",
                slice_target if timeslices else None,
                "measurements",
                "{}",
                "{}",
                json.dumps({"team": f"team-{i % 8}"}),
                "bench",
                stamp,
                stamp,
            ),
        )
        if i % 25 == 0:
            db.execute(
                "INSERT INTO slo_exclusions (slo_id, reason, start, every, duration_seconds,"
                " days, tz, created_by, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    i,
                    "weekly maintenance",
                    "2026-01-04 02:00:00.000000",
                    "week",
                    7200,
                    "[6]",
                    "Europe/Berlin",
                    "bench",
                    stamp,
                ),
            )
        rows = profiles[(i % PROFILES, i % 20 == 0)]
        db.executemany(
            "INSERT INTO slo_minutes (slo_id, minute, good, total) VALUES (?,?,?,?)",
            ((i, first + m, g, t) for m, (g, t) in enumerate(rows)),
        )
        hours: dict[int, list[float]] = {}
        threshold = slice_target if timeslices else target
        for m, (g, t) in enumerate(rows):
            minute = first + m
            h = hours.setdefault(minute - minute % 60, [0.0, 0.0, 0, 0])
            h[0] += g
            h[1] += t
            h[2] += int(t > 0 and g / t < threshold)
            h[3] += int(t > 0)
        db.executemany(
            "INSERT INTO slo_hours (slo_id, hour, good, total, bad_slices, slices)"
            " VALUES (?,?,?,?,?,?)",
            ((i, h, v[0], v[1], int(v[2]), int(v[3])) for h, v in sorted(hours.items())),
        )
        if i % 50 == 0:
            db.commit()
            print(f"  loaded {i} SLOs ({i * minutes:,} minute rows)", flush=True)
    db.commit()
    db.execute("ANALYZE")
    db.close()
    return time.perf_counter() - started


def ceiling(path: Path, now: datetime, days: int) -> float:
    """Bare SQLite: the 30-day window sums of every SLO from hour rows, one GROUP BY."""
    now_m = int(now.timestamp() // 60)
    db = sqlite3.connect(path)
    started = time.perf_counter()
    db.execute(
        "SELECT slo_id, sum(good), sum(total), sum(bad_slices) FROM slo_hours"
        " WHERE hour >= ? AND hour < ? GROUP BY slo_id",
        (now_m - days * 1440, now_m),
    ).fetchall()
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed


async def cycles(url: str, now: datetime, count: int) -> list[float]:
    db = Database(url)
    times = []
    try:
        for n in range(count):
            at = now + timedelta(seconds=30 + 60 * n)
            started = time.perf_counter()
            async with db.transaction() as session:
                evaluated = await evaluation_cycle(session, at, SloSettings(), AlertingSettings())
            times.append(time.perf_counter() - started)
            print(f"  cycle {n + 1}: {evaluated} SLOs in {times[-1]:.2f} s", flush=True)
    finally:
        await db.dispose()
    return times


def worker_cycles(path: Path, count: int) -> list[float]:
    """Run `sentinel worker` (a real process) on the database and read the cycle times it
    logs ("slo evaluation cycle: N SLOs in S s"); the data is evaluated as of now."""
    env = {
        **os.environ,
        "SENTINEL_DATABASE_URL": f"sqlite+aiosqlite:///{path}",
        "SENTINEL_DATA_DIR": str(path.parent),
        "SENTINEL_SECRET_KEY": "bench-secret-key-bench-secret-key-0123",
        "SENTINEL_SLO_EVALUATION_SECONDS": "20",
        "SENTINEL_LOG_FORMAT": "text",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "sentinel", "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=path.parent,
    )
    times: list[float] = []
    pattern = re.compile(r"slo evaluation cycle: (\d+) SLOs in ([0-9.]+) s")
    deadline = time.monotonic() + 120 + 40 * count
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            found = pattern.search(line)
            if found:
                times.append(float(found.group(2)))
                print(
                    f"  worker cycle {len(times)}: {found.group(1)} SLOs in {times[-1]:.2f} s",
                    flush=True,
                )
                if len(times) == count:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("the worker did not log enough cycles in time")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return times


async def migrate_db(url: str) -> None:
    db = Database(url)
    try:
        await migrate.upgrade(db)
    finally:
        await db.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slos", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument(
        "--database",
        type=Path,
        help="a file to keep the loaded data in; reused (not reloaded) when it exists",
    )
    parser.add_argument(
        "--worker",
        action="store_true",
        help="time the cycles in a real `sentinel worker` process instead of in-process",
    )
    args = parser.parse_args()
    workdir = None if args.database else Path(tempfile.mkdtemp(prefix="bench-slo-"))
    path = args.database or Path(str(workdir)) / "sentinel.db"
    url = f"sqlite+aiosqlite:///{path}"
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    if args.database and path.exists():
        # The data ends when it was loaded: evaluate as of then.
        db = sqlite3.connect(path)
        (last,) = db.execute("SELECT max(minute) FROM slo_minutes").fetchone()
        db.close()
        now = datetime.fromtimestamp((last + 1) * 60, UTC)
        print(f"reusing {path} (data up to {now.isoformat()})")
    else:
        asyncio.run(migrate_db(url))
        print(f"loading {args.slos} SLOs x {args.days} days of minute data into {path}")
        load_s = load(path, args.slos, args.days, now)
        size = path.stat().st_size / 2**20
        print(f"  loaded in {load_s:.0f} s, database {size:,.0f} MiB")
    if args.worker:
        times = worker_cycles(path, args.cycles)
    else:
        times = asyncio.run(cycles(url, now, args.cycles))
    bare = ceiling(path, now, args.days)
    best, worst = min(times), max(times)
    load1, load5, _ = os.getloadavg()
    print()
    where = "in a `sentinel worker` process" if args.worker else "in-process"
    print(
        f"SLO evaluation cycle {where}, {args.slos} SLOs x {args.days * 1440:,} minutes each "
        f"(embedded SQLite, load average {load1:.1f}/{load5:.1f} on {os.cpu_count()} cores)"
    )
    print(
        f"  seconds per cycle:  best {best:.2f}, worst {worst:.2f}, "
        f"mean {sum(times) / len(times):.2f}   (target < {TARGET_SECONDS:.0f} s)"
    )
    print(f"  ceiling (bare SQLite window sums over hour rows, one GROUP BY): {bare:.3f} s")
    if workdir is not None:
        for f in workdir.iterdir():
            f.unlink()
        workdir.rmdir()
    return 0 if best < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())

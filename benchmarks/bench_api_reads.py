"""API reads: authenticated GETs at a fixed offered load, beside bare SQLite's ceiling.

SPEC §7 target: P95 < 50 ms at 1,000 req/s (embedded SQLite, this machine).

    .venv/bin/python benchmarks/bench_api_reads.py                      # 1,000 req/s, 20 s
    .venv/bin/python benchmarks/bench_api_reads.py --rate 500 --duration 10
    .venv/bin/python benchmarks/bench_api_reads.py --profile /tmp/reads  # py-spy the server

The mix, sent round-robin: GET /api/auth/me and GET /api/users (page of 50) with a `read`
API key in `Authorization: Bearer`, and GET /health. Latency counts from the moment a
request was due on the fixed schedule (open loop), so queueing in front of a saturated
server is part of it.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from harness import (
    SUMMARY_COLUMNS,
    BenchServer,
    LatencySummary,
    LoadSpec,
    RequestSpec,
    load_average,
    print_table,
    run_load_in_subprocess,
    running_server,
    summarize_load,
)

TARGET_P95_MS = 50.0

# The statements each request runs, as SQLAlchemy emits them, for the bare-SQLite ceiling.
_KEY_LOOKUP = (
    "SELECT id, name, prefix, key_hash, scopes, created_by_user_id, created_at, expires_at, "
    "last_used_at, revoked_at FROM api_keys WHERE prefix = ?"
)
_USERS_PAGE = (
    "SELECT id, email, name, password_hash, role, is_active, time_zone, created_at, "
    "updated_at, last_login_at FROM users ORDER BY id ASC LIMIT ? OFFSET ?"
)
_HEALTH = (
    "SELECT 1",
    "SELECT max(last_seen_at) FROM worker_heartbeats",
    "SELECT status, count(*) FROM jobs GROUP BY status",
)


def request_mix(read_key: str) -> tuple[RequestSpec, ...]:
    auth = (("Authorization", f"Bearer {read_key}"),)
    return (
        RequestSpec("GET /api/auth/me (key)", "/api/auth/me", headers=auth),
        RequestSpec("GET /api/users (key)", "/api/users", headers=auth),
        RequestSpec("GET /health", "/health"),
    )


def statements(read_key: str) -> dict[str, list[tuple[str, tuple[object, ...]]]]:
    """The SELECTs each request of the mix runs, for the bare-SQLite ceiling."""
    key: list[tuple[str, tuple[object, ...]]] = [(_KEY_LOOKUP, (read_key[:12],))]
    return {
        "GET /api/auth/me (key)": key,
        "GET /api/users (key)": [*key, (_USERS_PAGE, (51, 0))],
        "GET /health": [(sql, ()) for sql in _HEALTH],
    }


def sqlite_ceiling(path: Path, read_key: str, seconds: float = 3.0) -> list[list[str]]:
    """Requests/s bare sqlite3 could serve if each request were only its SELECTs."""
    connection = sqlite3.connect(path)
    rows = []
    try:
        for name, work in statements(read_key).items():
            count, started = 0, time.perf_counter()
            while (elapsed := time.perf_counter() - started) < seconds / 3:
                for sql, params in work:
                    connection.execute(sql, params).fetchall()
                count += 1
            rows.append([name, f"{count / elapsed:,.0f}", f"{elapsed / count * 1e6:.0f}"])
    finally:
        connection.close()
    return rows


def start_profiler(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    """py-spy (pip install py-spy) samples the server while the load runs."""
    beside_python = Path(sys.executable).parent / "py-spy"
    py_spy = str(beside_python) if beside_python.exists() else shutil.which("py-spy")
    if py_spy is None:
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
    return subprocess.Popen(
        [
            py_spy,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(int(seconds)),
            "--rate",
            "250",
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
            "--gil",  # only the thread holding the GIL: where the one usable core goes
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )


def print_profile(raw: Path, top: int = 25) -> None:
    """Self time and inclusive time per function from py-spy's collapsed stacks."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    by_package: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f.split(" (", 1)[0] + _where(f) for f in stack.split(";")]
        total += count
        own[frames[-1]] += count
        by_package[_package(stack.split(";")[-1])] += count
        for frame in set(frames):
            inclusive[frame] += count
    if not total:
        print("(no profile samples)")
        return
    tables = (("self time by package", by_package), ("self time", own), ("inclusive", inclusive))
    for title, counter in tables:
        rows = [[f"{n / total:6.1%}", name[:110]] for name, n in counter.most_common(top)]
        print_table(f"Server profile, {title} ({total} samples)", ["share", "function"], rows)


def _package(frame: str) -> str:
    """'sqlalchemy' from 'f (sqlalchemy/orm/session.py:1)'; 'threading.py' for the stdlib."""
    if " (" not in frame:
        return frame.strip() or "?"
    return frame.split(" (", 1)[1].split("/")[0].split(":")[0].rstrip(")")


def _where(frame: str) -> str:
    """' (module.py)' from py-spy's 'func (path/module.py:line)'."""
    if " (" not in frame:
        return ""
    location = frame.split(" (", 1)[1].rstrip(")")
    return f" ({'/'.join(location.split(':')[0].split('/')[-2:])})"


@dataclass(frozen=True)
class Figures:
    summaries: list[LatencySummary]
    service_p50_ms: dict[str, float]
    server_cpu_share: float  # of one core, over the run
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    error_samples: list[str]
    abandoned: int
    server_cpu_ms_per_request: float

    @property
    def meets_target(self) -> bool:
        overall = self.summaries[-1]
        return overall.p95_ms < TARGET_P95_MS and overall.errors == 0


def run(args: argparse.Namespace) -> int:
    extra_env = {"SENTINEL_LOG_LEVEL": args.log_level} if args.log_level else {}
    with running_server(args.database_url, extra_env=extra_env) as server:
        read_key = server.create_api_key("bench reads", ["read"])
        spec = LoadSpec(
            host=server.host,
            port=server.port,
            requests=request_mix(read_key),
            rate=args.rate,
            duration=args.duration,
            connections=args.connections,
            warmup=args.warmup,
        )
        figures = measure(server, spec, args.profile)
        sqlite_path = server.sqlite_path
        ceiling = sqlite_ceiling(sqlite_path, read_key) if sqlite_path else None
        report(spec, figures, ceiling, server.database_url)
    if args.profile is not None and (args.profile / "raw.txt").exists():
        print_profile(args.profile / "raw.txt")
    return 0 if figures.meets_target else 1


def measure(server: BenchServer, spec: LoadSpec, profile: Path | None) -> Figures:
    """Drive `server` with `spec` from a separate process; optionally profile the server."""
    load_before = load_average()
    cpu_before, wall_before = server.cpu_seconds(), time.monotonic()
    profiler = None
    if profile is not None:
        profile.mkdir(parents=True, exist_ok=True)
        profiler = start_profiler(server.pid, spec.warmup + spec.duration, profile / "raw.txt")
    result = run_load_in_subprocess(spec)
    cpu_used, wall = server.cpu_seconds() - cpu_before, time.monotonic() - wall_before
    load_after = load_average()
    if profiler is not None:
        profiler.wait(timeout=60)
    return Figures(
        summaries=summarize_load(result),
        service_p50_ms={
            name: sorted(values)[len(values) // 2] * 1000 if values else float("nan")
            for name, values in result.service_times.items()
        },
        server_cpu_share=cpu_used / wall,
        load_before=load_before,
        load_after=load_after,
        error_samples=result.error_samples,
        abandoned=result.abandoned,
        server_cpu_ms_per_request=cpu_used * 1000 / max(1, result.sent),
    )


def report(
    spec: LoadSpec, figures: Figures, ceiling: list[list[str]] | None, database_url: str
) -> None:
    print(
        f"\nAPI reads: offered {spec.rate:,.0f} req/s for {spec.duration:.0f} s "
        f"(+{spec.warmup:.0f} s warm-up) over {spec.connections} keep-alive connections, "
        f"load from a separate process; server storage {database_url.split(':')[0]}"
    )
    rows = [s.row() for s in figures.summaries]
    print_table("Latency from scheduled send time", SUMMARY_COLUMNS, rows)
    medians = ", ".join(f"{name} {ms:.1f}" for name, ms in figures.service_p50_ms.items())
    print(f"\nmedian service time (sent → answered), ms: {medians}")
    print(
        f"server process CPU: {figures.server_cpu_share:.0%} of one core; "
        f"load average (1 min) before {figures.load_before[0]:.2f}, "
        f"after {figures.load_after[0]:.2f} (2 cores, shared with other work)"
    )
    cpu_ms = figures.server_cpu_ms_per_request
    print(
        f"server CPU per request: {cpu_ms:.2f} ms, so one server process (one event loop, "
        f"one GIL) tops out near {1000 / cpu_ms:,.0f} req/s"
    )
    if figures.abandoned:
        late = f"no free connection {spec.timeout:.0f} s after due"
        print(f"requests never sent ({late}): {figures.abandoned}")
    for sample in figures.error_samples:
        print(f"error sample: {sample}")
    if ceiling is not None:
        print_table(
            "Ceiling: bare sqlite3, the same SELECTs, one connection, one thread",
            ["requests", "req/s", "µs/req"],
            ceiling,
        )
    overall = figures.summaries[-1]
    verdict = "meets" if figures.meets_target else "MISSES"
    print(
        f"\nTarget P95 < {TARGET_P95_MS:.0f} ms at {spec.rate:,.0f} req/s: {verdict} "
        f"(P95 {overall.p95_ms:.1f} ms, {overall.achieved_rate:,.0f} ok req/s, "
        f"{overall.errors} errors)"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rate", type=float, default=1000.0, help="offered requests per second")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds left out")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument("--log-level", default=None, help="server SENTINEL_LOG_LEVEL")
    parser.add_argument("--profile", type=Path, default=None, help="folder for a py-spy profile")
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(run(parse_args()))

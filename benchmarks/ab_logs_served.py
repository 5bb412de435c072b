"""Log ingest as served, two source trees side by side: interleaved slices, CPU per record.

    .venv/bin/python benchmarks/ab_logs_served.py --before /tmp/logs-before/src \
        --after /work/main/src [--pairs 4] [--seconds 10] [--connections 6]

Starts a `sentinel serve` of each tree at once (PYTHONPATH picks the tree; SQLite, worker
on), then runs OTLP ingest slices that alternate between them (the order flips every
pair), so both see the same background load. After each slice it waits for that server's
derive worker to catch up, and reports: records/s during the slice, how far the index
trailed at its end, the catch-up time, records/s over slice + catch-up, and the server's
CPU time (user + system, from /proc) per record over the same span: ingest and
derivation together, the figure a loaded machine disturbs least.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from bench_logs import in_subprocess, index_state, run_ingest, wait_for_index
from harness import running_server

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", required=True, help="src folder of the before tree")
    parser.add_argument("--after", required=True, help="src folder of the after tree")
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=6)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()

    results: dict[str, list[tuple[float, float, float]]] = {"before": [], "after": []}
    with (
        running_server(extra_env={"PYTHONPATH": args.before}) as before,
        running_server(extra_env={"PYTHONPATH": args.after}) as after,
    ):
        servers = {"before": before, "after": after}
        tokens = {name: server.admin_token() for name, server in servers.items()}
        print(f"{'slice':<14} {'load':>5} {'rec/s':>8} {'trailed':>8} {'catch-up s':>10} "
              f"{'rec/s incl.':>11} {'CPU µs/rec':>10}")  # fmt: skip
        for pair in range(args.pairs):
            order = ("before", "after") if pair % 2 == 0 else ("after", "before")
            for name in order:
                server = servers[name]
                load = os.getloadavg()[0]
                cpu = cpu_seconds(server.pid)
                started = time.monotonic()
                result = in_subprocess(
                    run_ingest, server.host, server.port, "otlp", args.seconds,
                    args.connections, args.batch,
                )  # fmt: skip
                trailed = index_state(server.url, tokens[name])["pending_records"]
                _pending, took, _rate = wait_for_index(server.url, tokens[name], 600)
                span = time.monotonic() - started
                used = cpu_seconds(server.pid) - cpu
                rate = result.records / result.seconds
                overall = result.records / span
                per_record = used / result.records * 1e6 if result.records else 0.0
                results[name].append((rate, overall, per_record))
                print(f"{name + ' ' + str(pair + 1):<14} {load:5.2f} {rate:8,.0f} {trailed:8,} "
                      f"{took:10.1f} {overall:11,.0f} {per_record:10.1f}")  # fmt: skip
    for name, rows in results.items():
        print(
            f"{name}: median records/s {statistics.median(r[0] for r in rows):,.0f}, "
            f"over slice + catch-up {statistics.median(r[1] for r in rows):,.0f}, "
            f"CPU {statistics.median(r[2] for r in rows):.1f} µs/record"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

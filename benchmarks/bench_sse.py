"""War-room streams: N live SSE connections held on one incident, and how fast an update
reaches all of them.

SPEC §7: 500 live (SSE) connections held.

    .venv/bin/python benchmarks/bench_sse.py                       # 500 streams, 20 updates
    .venv/bin/python benchmarks/bench_sse.py --streams 200 --updates 10 --database-url URL

A `sentinel serve` process (SQLite unless a database URL is given) and this process, which
opens `--streams` connections to `GET /api/incidents/{id}/stream` (the war-room feed),
waits until every one has its `: connected` line, then posts `--updates` war-room updates
one after another (`POST /api/incidents/{id}/updates`). For each update it records the
time from the POST until the last stream received it. Printed: P50/P95/max of that
fan-out time, the server's CPU per update (user + system while the updates ran), and
whether every stream got every update exactly once. Exit 0 when all of them did.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import time

import httpx

from harness import BenchServer, percentile, running_server


async def _drive(server: BenchServer, streams: int, updates: int) -> int:
    headers = {"Authorization": f"Bearer {server.admin_token()}"}
    limits = httpx.Limits(max_connections=streams + 8, max_keepalive_connections=streams + 8)
    async with httpx.AsyncClient(
        base_url=server.url, headers=headers, timeout=60, limits=limits
    ) as client:
        created = await client.post("/api/incidents", json={"title": "SSE fan-out bench"})
        created.raise_for_status()
        incident = created.json()["id"]
        received: dict[int, list[float]] = {}
        everyone = {n: asyncio.Event() for n in range(updates)}  # all streams have update n
        all_connected = asyncio.Event()
        connected = 0

        async def listen() -> None:
            nonlocal connected
            async with client.stream("GET", f"/api/incidents/{incident}/stream") as response:
                async for line in response.aiter_lines():
                    if line == ": connected":
                        connected += 1
                        if connected == streams:
                            all_connected.set()
                    elif line.startswith("data:") and '"message":"update ' in line:
                        number = int(line.split('"message":"update ', 1)[1].split('"', 1)[0])
                        arrivals = received.setdefault(number, [])
                        arrivals.append(time.perf_counter())
                        if len(arrivals) == streams and number in everyone:
                            everyone[number].set()

        listeners = [asyncio.create_task(listen()) for _ in range(streams)]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_connected.wait(), 60)
        print(f"streams connected: {connected} of {streams}")
        cpu_before = server.cpu_seconds()
        fan_out: list[float] = []
        for number in range(updates):
            posted = time.perf_counter()
            sent = await client.post(
                f"/api/incidents/{incident}/updates", json={"message": f"update {number}"}
            )
            sent.raise_for_status()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(everyone[number].wait(), 30)
            arrivals = received.get(number, [])
            fan_out.append((max(arrivals) if arrivals else time.perf_counter()) - posted)
        cpu = server.cpu_seconds() - cpu_before
        for task in listeners:
            task.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)

    delivered = sum(len(v) for v in received.values())
    complete = connected == streams and all(
        len(received.get(n, [])) == streams for n in range(updates)
    )
    ms = sorted(s * 1000 for s in fan_out)
    print(
        f"fan-out to all streams, ms: P50 {statistics.median(ms):.0f}  "
        f"P95 {percentile(ms, 95):.0f}  max {max(ms):.0f}"
    )
    print(f"server CPU per update: {cpu / updates * 1000:.1f} ms")
    print(f"delivered {delivered} of {streams * updates} (each stream every update once: "
          f"{'yes' if complete else 'NO'})")  # fmt: skip
    return 0 if complete else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--updates", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    with running_server(args.database_url) as server:
        return asyncio.run(_drive(server, args.streams, args.updates))


if __name__ == "__main__":
    raise SystemExit(main())

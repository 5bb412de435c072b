"""Benchmark harness: a real `sentinel serve` process, load from a separate process, figures.

Importing this module does nothing. The pieces:

- `start_server()` / `running_server()` start `python -m sentinel serve` on a free loopback
  port with a temporary data dir (SQLite by default, or the database URL you give), with a
  preset admin password and API key, and wait until /health answers.
- `run_load_in_subprocess()` runs the open-loop load generator (`open_loop()`) in a spawned
  process, so the load does not share the server's interpreter or event loop.
- `summarize()`, `percentile()` and `print_table()` turn latencies into the printed figures.

The load generator is open-loop: request i is due at start + i/rate whatever happened to
the previous ones, and its latency counts from the moment it was due, so a slow server
shows up as latency instead of silently lowering the offered load (coordinated omission).
It speaks minimal HTTP/1.1 over asyncio streams with keep-alive, which costs a few tens of
microseconds per request, so most of the machine is left to the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ADMIN_EMAIL = "bench-admin@example.com"
ADMIN_PASSWORD = "bench-admin-password-123"  # noqa: S105 - a throwaway test server
# A preset key must start with "snt_" and be 24+ characters; this one has the ingest scope.
INGEST_KEY = "snt_bench_ingest_key_0123456789abcdef"
SECRET_KEY = "bench-secret-key-bench-secret-key-0123456789"  # noqa: S105


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --------------------------------------------------------------------------- the server


def _tree_ticks(pid: int) -> int:
    """CPU ticks of a process (with its ended children) and, recursively, its live ones."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = [
            int(child)
            for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()
        ]
    except (FileNotFoundError, ProcessLookupError):  # ended meanwhile
        return 0
    own = sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
    return own + sum(_tree_ticks(child) for child in children)


@dataclass
class BenchServer:
    """A running `sentinel serve` process."""

    url: str
    host: str
    port: int
    process: subprocess.Popen[bytes]
    data_dir: Path
    log_path: Path
    database_url: str
    owns_data_dir: bool = False

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file the server writes, when it runs on SQLite."""
        prefix = "sqlite+aiosqlite:///"
        if self.database_url.startswith(prefix):
            return Path(self.database_url[len(prefix) :])
        return None

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def cpu_seconds(self) -> float:
        """User + system CPU time the server has used so far (Linux /proc): its process
        and its ingest processes (SENTINEL_INGEST_PROCESSES), live or ended."""
        return _tree_ticks(self.pid) / os.sysconf("SC_CLK_TCK")

    def admin_token(self) -> str:
        response = httpx.post(
            f"{self.url}/api/auth/login",
            json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
            timeout=30,
        )
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token

    def create_api_key(self, name: str, scopes: Sequence[str]) -> str:
        """Create an API key through the API (as the bootstrap admin) and return it."""
        response = httpx.post(
            f"{self.url}/api/api-keys",
            json={"name": name, "scopes": list(scopes)},
            headers={"Authorization": f"Bearer {self.admin_token()}"},
            timeout=30,
        )
        response.raise_for_status()
        key: str = response.json()["key"]
        return key

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.owns_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def wait_for_health(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Poll /health until it answers (200, or 503 while the worker is still starting)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sentinel exited with code {process.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code in (200, 503):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"sentinel did not answer {url}/health within {timeout:.0f} s")


def start_server(
    database_url: str | None = None,
    *,
    data_dir: Path | None = None,
    extra_env: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> BenchServer:
    """Start `python -m sentinel serve` on a free port and wait until /health answers.

    Without `database_url` the server uses a SQLite file in a temporary data dir, which is
    removed again by `stop()`. A PostgreSQL URL must point at an empty (or Sentinel) database.
    """
    owns = data_dir is None
    directory = Path(tempfile.mkdtemp(prefix="sentinel-bench-")) if data_dir is None else data_dir
    directory.mkdir(parents=True, exist_ok=True)
    url_of_db = database_url or f"sqlite+aiosqlite:///{directory / 'sentinel.db'}"
    port = free_port()
    env = {
        **os.environ,
        "SENTINEL_DATABASE_URL": url_of_db,
        "SENTINEL_DATA_DIR": str(directory),
        "SENTINEL_HOST": "127.0.0.1",
        "SENTINEL_PORT": str(port),
        "SENTINEL_SECRET_KEY": SECRET_KEY,
        "SENTINEL_BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
        "SENTINEL_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "SENTINEL_BOOTSTRAP_API_KEY": INGEST_KEY,
        **(extra_env or {}),
    }
    log_path = directory / "server.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "sentinel", "serve"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=directory,  # so that a stray .env in the caller's folder is not read
        )
    server = BenchServer(
        url=f"http://127.0.0.1:{port}",
        host="127.0.0.1",
        port=port,
        process=process,
        data_dir=directory,
        log_path=log_path,
        database_url=url_of_db,
        owns_data_dir=owns,
    )
    try:
        wait_for_health(server.url, process, timeout)
    except RuntimeError as exc:
        tail = server.log_tail()
        server.stop()
        raise RuntimeError(f"{exc}\n--- server log ---\n{tail}") from exc
    return server


@contextlib.contextmanager
def running_server(
    database_url: str | None = None,
    *,
    data_dir: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[BenchServer]:
    """`start_server()` as a context manager that always stops the process."""
    server = start_server(database_url, data_dir=data_dir, extra_env=extra_env)
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------- the load


@dataclass(frozen=True)
class RequestSpec:
    """One kind of request in the mix; the mix is sent round-robin."""

    name: str
    path: str
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def encode(self, host: str) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{k}: {v}" for k, v in self.headers]
        if self.body or self.method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


@dataclass(frozen=True)
class LoadSpec:
    host: str
    port: int
    requests: tuple[RequestSpec, ...]
    rate: float  # offered requests per second
    duration: float  # measured seconds, after the warm-up
    connections: int = 16
    warmup: float = 2.0  # seconds sent at the same rate but left out of the figures
    timeout: float = 10.0


@dataclass
class LoadResult:
    """Raw outcome of one open-loop run (seconds throughout), per request name.

    Only requests due inside the measured window count. A request still waiting for a free
    connection `timeout` seconds after it was due is not sent and counts as an error, so an
    overloaded server shows as errors and bounded latencies instead of an endless backlog.
    """

    offered_rate: float
    measured_seconds: float
    latencies: dict[str, list[float]] = field(default_factory=dict)  # due → answered
    service_times: dict[str, list[float]] = field(default_factory=dict)  # sent → answered
    errors: dict[str, int] = field(default_factory=dict)
    answered_in_window: dict[str, int] = field(default_factory=dict)  # 2xx/3xx in the window
    error_samples: list[str] = field(default_factory=list)
    abandoned: int = 0  # never sent: already `timeout` late
    sent: int = 0  # requests put on the wire, warm-up included


class HttpConnection:
    """A keep-alive HTTP/1.1 connection that reads just enough of each response."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.reader is None or self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, chunked, close = -1, False, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                close = True
        if chunked:
            body = await self._read_chunked()
        elif length >= 0:
            body = await self.reader.readexactly(length)
        else:
            body = await self.reader.read()
            close = True
        if close:
            await self.close()
        return status, body

    async def _read_chunked(self) -> bytes:
        assert self.reader is not None
        parts: list[bytes] = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)


async def open_loop(spec: LoadSpec) -> LoadResult:
    """Send `spec.rate` requests per second on a fixed schedule over `spec.connections`."""
    loop = asyncio.get_running_loop()
    raw = [r.encode(f"{spec.host}:{spec.port}") for r in spec.requests]
    names = [r.name for r in spec.requests]
    result = LoadResult(offered_rate=spec.rate, measured_seconds=spec.duration)
    for name in names:
        result.latencies[name], result.service_times[name] = [], []
        result.errors[name] = result.answered_in_window[name] = 0
    total = int(spec.rate * (spec.warmup + spec.duration))
    queue: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    start = loop.time() + 0.5
    window_start = start + spec.warmup
    window_end = window_start + spec.duration

    def failed(name: str, due: float, why: str) -> None:
        if due >= window_start:
            result.errors[name] += 1
            if len(result.error_samples) < 5:
                result.error_samples.append(f"{name}: {why}")

    async def dispatch() -> None:
        for i in range(total):
            due = start + i / spec.rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            queue.put_nowait((i, due))
        for _ in range(spec.connections):
            queue.put_nowait(None)

    async def connection_worker() -> None:
        conn = HttpConnection(spec.host, spec.port)
        while (item := await queue.get()) is not None:
            index, due = item
            kind = index % len(raw)
            name = names[kind]
            sent = loop.time()
            if sent - due > spec.timeout:
                result.abandoned += due >= window_start
                failed(name, due, f"not sent: no free connection {spec.timeout:.0f} s after due")
                continue
            result.sent += 1
            try:
                async with asyncio.timeout(spec.timeout):
                    status, body = await conn.request(raw[kind])
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
                failed(name, due, f"{type(exc).__name__} {exc}")
                await conn.close()
                continue
            done = loop.time()
            if status >= 400:
                failed(name, due, f"HTTP {status} {body[:200]!r}")
                continue
            if window_start <= done < window_end:
                result.answered_in_window[name] += 1
            if due >= window_start:
                result.latencies[name].append(done - due)
                result.service_times[name].append(done - sent)
        await conn.close()

    await asyncio.gather(dispatch(), *(connection_worker() for _ in range(spec.connections)))
    return result


def run_load(spec: LoadSpec) -> LoadResult:
    """Run `open_loop(spec)` to completion in this process (the subprocess entry point)."""
    return asyncio.run(open_loop(spec))


def run_load_in_subprocess(spec: LoadSpec) -> LoadResult:
    """Run the load generator in a fresh spawned process and return its raw result."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(run_load, spec).result()


# --------------------------------------------------------------------------- figures


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (q in 0..100); NaN when empty."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass(frozen=True)
class LatencySummary:
    name: str
    count: int
    errors: int
    achieved_rate: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    def row(self) -> list[str]:
        return [
            self.name,
            f"{self.achieved_rate:,.0f}",
            f"{self.p50_ms:.1f}",
            f"{self.p95_ms:.1f}",
            f"{self.p99_ms:.1f}",
            f"{self.max_ms:.1f}",
            f"{self.errors}",
        ]


SUMMARY_COLUMNS = ["requests", "ok req/s", "P50 ms", "P95 ms", "P99 ms", "max ms", "errors"]


def summarize(
    name: str, latencies: Sequence[float], errors: int, answered: int, seconds: float
) -> LatencySummary:
    """Percentiles (ms), and the rate of successful answers within the measured window."""
    ordered = sorted(latencies)
    return LatencySummary(
        name=name,
        count=len(ordered),
        errors=errors,
        achieved_rate=answered / seconds if seconds > 0 else 0.0,
        p50_ms=percentile(ordered, 50) * 1000,
        p95_ms=percentile(ordered, 95) * 1000,
        p99_ms=percentile(ordered, 99) * 1000,
        max_ms=(ordered[-1] if ordered else math.nan) * 1000,
    )


def summarize_load(result: LoadResult) -> list[LatencySummary]:
    """One summary per request kind, then one for all of them together."""
    seconds = result.measured_seconds
    rows = [
        summarize(
            name,
            result.latencies[name],
            result.errors[name],
            result.answered_in_window[name],
            seconds,
        )
        for name in result.latencies
    ]
    everything = [v for values in result.latencies.values() for v in values]
    errors, answered = sum(result.errors.values()), sum(result.answered_in_window.values())
    rows.append(summarize("all", everything, errors, answered, seconds))
    return rows


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print a plain-text table, first column left-aligned, the others right-aligned."""
    widths = [max(len(str(c)), *(len(str(r[i])) for r in rows)) for i, c in enumerate(columns)]

    def line(cells: Sequence[str]) -> str:
        out = [str(cells[0]).ljust(widths[0])]
        out += [str(c).rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join(out)

    print(f"\n{title}")
    print(line(columns))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()

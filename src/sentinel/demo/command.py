"""The `sentinel demo` command: find or start the server, get an admin key, run the demo.
Heavy imports wait until the command runs, so the rest of the CLI starts fast."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sentinel.config import Settings

KEY_NAME = "sentinel demo"


def _positive(text: str) -> float:
    value = float(text)
    if not 0 < value <= 1000:
        raise argparse.ArgumentTypeError("must be above 0 and at most 1000")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", default=None, help="the server (default http://127.0.0.1:PORT)")
    parser.add_argument(
        "--api-key",
        default=None,
        help="an admin-scoped key (or SENTINEL_DEMO_API_KEY); without it one is minted in "
        "the configured database",
    )
    parser.add_argument("--once", action="store_true", help="send the history and stop")
    parser.add_argument("--history", default="60m", help="how far to back-fill (e.g. 15m, 2h)")
    parser.add_argument("--seed", type=int, default=42, help="the workload's random seed")
    parser.add_argument(
        "--rate", type=_positive, default=2.0, help="frontend requests per second (default 2)"
    )
    parser.add_argument(
        "--serve",
        action="store_true",
        help="start `sentinel serve` in the background if nothing answers at --url, "
        "and stop it on exit (what `make demo` does)",
    )


def _answers(url: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{url}/health", timeout=2).status_code in (200, 503)
    except httpx.HTTPError:
        return False


def _start_server(settings: Settings, url: str) -> subprocess.Popen[bytes]:
    """`sentinel serve` with this process's configuration; its output goes to a file, and
    the first-start credentials (if this start made them) are repeated here."""
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "demo-server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "sentinel", "serve"], stdout=log, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 90
    while not _answers(url):
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(process)
            tail = log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"sentinel serve did not come up at {url}:\n{tail}")
        time.sleep(0.3)
    print(f"started sentinel serve (pid {process.pid}); its log: {log_path}")
    banner = [
        line
        for line in log_path.read_text(errors="replace").splitlines()
        if line.startswith(("====", "Sentinel first start", "  admin ", "  ingest ", "These are"))
    ]
    if banner:
        print("\n".join(banner))
    return process


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def mint_admin_key(settings: Settings) -> str:
    """An admin-scoped key written straight into the configured database (as
    `sentinel create-api-key` does), valid for 30 days."""
    from datetime import UTC, datetime, timedelta

    from sentinel.auth import service
    from sentinel.auth.roles import Scope
    from sentinel.auth.schemas import ApiKeyCreate
    from sentinel.storage.engine import Database

    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            expires = datetime.now(UTC) + timedelta(days=30)
            body = ApiKeyCreate(name=KEY_NAME, scopes=[Scope.ADMIN], expires_at=expires)
            _, key = await service.create_api_key(session, None, body)
        return key
    finally:
        await db.dispose()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio
    import signal

    # Ctrl+C and a plain kill both end the demo (and the server it started) cleanly, even
    # when a shell started this process with SIGINT ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)

    from sentinel.demo.client import ApiError
    from sentinel.demo.runner import DemoOptions
    from sentinel.demo.session import run_demo
    from sentinel.timeutil import parse_duration

    history_ns = int(parse_duration(args.history).total_seconds() * 1e9)
    url = (args.url or f"http://127.0.0.1:{settings.port}").rstrip("/")
    server = None
    try:
        if not _answers(url):
            if not args.serve:
                print(
                    f"sentinel: nothing answers at {url}: start the server (`make run`) first, "
                    "or run `make demo`, which starts one",
                    file=sys.stderr,
                )
                return 1
            server = _start_server(settings, url)
        key = args.api_key or os.environ.get("SENTINEL_DEMO_API_KEY")
        if not key:
            key = asyncio.run(mint_admin_key(settings))
            print(f"minted an admin API key {KEY_NAME!r} (30 days) in the configured database")
        options = DemoOptions(
            url=url,
            api_key=key,
            admin_email=settings.bootstrap_admin_email,
            once=args.once,
            history_ns=history_ns,
            seed=args.seed,
            rate_per_s=args.rate,
            server_alive=(lambda: server.poll() is None) if server is not None else None,
        )
        return run_demo(options, print)
    except ApiError as exc:
        print(f"sentinel demo: {exc}", file=sys.stderr)
        if "401" in str(exc):
            print(
                "  (the key is not known to this server: run the demo with the server's "
                "configuration, e.g. from the same folder, or pass --api-key)",
                file=sys.stderr,
            )
        return 1
    except KeyboardInterrupt:
        print("\nsentinel demo stopped")
        return 0
    finally:
        if server is not None:
            print(f"stopping the sentinel serve this demo started (pid {server.pid})")
            _stop(server)

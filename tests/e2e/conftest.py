"""A real `sentinel serve` process on a free port, for end-to-end tests with real clients."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, INGEST_KEY


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def admin_headers(self) -> dict[str, str]:
        response = httpx.post(
            f"{self.url}/api/auth/login",
            json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
            verify=False,
        )
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    @property
    def ingest_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {INGEST_KEY}"}


def start_server(
    database_url: str,
    data_dir: Path,
    extra_env: dict[str, str | None] | None = None,
    scheme: str = "http",
    verify: ssl.SSLContext | bool = False,
) -> LiveServer:
    """Start `python -m sentinel serve` and wait until /health answers.

    In extra_env a None value removes the variable (e.g. to test first-start defaults)."""
    port = free_port()
    merged: dict[str, str | None] = {
        **os.environ,
        "SENTINEL_DATABASE_URL": database_url,
        "SENTINEL_DATA_DIR": str(data_dir),
        "SENTINEL_PORT": str(port),
        "SENTINEL_HOST": "127.0.0.1",
        "SENTINEL_SECRET_KEY": "e2e-secret-key-e2e-secret-key-0123456",
        "SENTINEL_BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
        "SENTINEL_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "SENTINEL_BOOTSTRAP_API_KEY": INGEST_KEY,
        "SENTINEL_WORKER_POLL_SECONDS": "0.1",
        **(extra_env or {}),
    }
    env = {k: v for k, v in merged.items() if v is not None}
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "server.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "sentinel", "serve"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=data_dir,
        )
    server = LiveServer(f"{scheme}://127.0.0.1:{port}", port, process, log_path, env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sentinel exited with {process.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/health", timeout=1, verify=verify).status_code in (
                200,
                503,
            ):
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop_server(server)
    raise RuntimeError(f"sentinel did not answer /health in 30 s:\n{server.log()}")


def stop_server(server: LiveServer) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@pytest.fixture
def live_server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """A running server on each storage backend (the database is migrated and empty)."""
    server = start_server(database_url, tmp_path / "server")
    try:
        yield server
    finally:
        stop_server(server)

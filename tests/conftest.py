"""Shared fixtures. Every test that touches storage runs on SQLite and on PostgreSQL.

PostgreSQL comes from SENTINEL_TEST_DATABASE_URL (or the local server at 127.0.0.1:5432,
database `test`). Each test run gets a database of its own, migrated once and truncated
between tests. Without a reachable PostgreSQL the PostgreSQL half is skipped with the
reason shown, except on CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from sentinel.app import create_app
from sentinel.config import Settings, normalize_database_url
from sentinel.storage import migrate
from sentinel.storage.all_models import load_all_models
from sentinel.storage.engine import Database

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin-password-123"
INGEST_KEY = "snt_test_ingest_key_0123456789abcdef"
ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_tool(found: object, message: str) -> None:
    """Skip a test whose real peer (prometheus, amtool …) is not installed here; on CI,
    where .ci/run installs them, a missing one is a failure."""
    if found is None:
        if ON_CI:
            pytest.fail(message + " (CI installs it in .ci/run)")
        pytest.skip(message)


def _base_pg_url() -> str:
    return normalize_database_url(os.environ.get("SENTINEL_TEST_DATABASE_URL", DEFAULT_PG))


async def _pg_reachable(url: str) -> str | None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        await engine.dispose()


_PG_PROBLEM = asyncio.run(_pg_reachable(_base_pg_url()))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`@pytest.mark.only_on("postgresql")`: a test of behaviour one database has and the
    other cannot (PostgreSQL's ids taken before commit, SQLite's single writer) runs on
    that database only; its other run is deselected, not reported as skipped."""
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        marker = item.get_closest_marker("only_on")
        callspec = getattr(item, "callspec", None)
        dialect = callspec.params.get("database_url") if callspec is not None else None
        if marker is not None and dialect is not None and dialect != marker.args[0]:
            dropped.append(item)
        else:
            keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def pytest_report_header(config: pytest.Config) -> str:
    where = _base_pg_url().rsplit("@", 1)[-1]
    state = "available" if _PG_PROBLEM is None else f"NOT available ({_PG_PROBLEM})"
    return f"storage backends: sqlite, postgresql at {where} {state}"


async def _recreate_pg_database(base_url: str, name: str, *, drop_only: bool = False) -> None:
    engine = create_async_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            if not drop_only:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def pg_template_url() -> Iterator[str]:
    """A PostgreSQL database for this test run, migrated once."""
    if _PG_PROBLEM is not None:
        message = f"PostgreSQL is not reachable at {_base_pg_url()}: {_PG_PROBLEM}"
        if ON_CI:
            pytest.fail(message + " (CI requires PostgreSQL)")
        pytest.skip(message)
    base = _base_pg_url()
    name = f"sentinel_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(_recreate_pg_database(base, name))
    url = base.rsplit("/", 1)[0] + "/" + name

    async def _migrate() -> None:
        db = Database(url)
        try:
            await migrate.upgrade(db)
        finally:
            await db.dispose()

    asyncio.run(_migrate())
    yield url
    asyncio.run(_recreate_pg_database(base, name, drop_only=True))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies (faster than migrating per test)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"

    async def _migrate() -> None:
        db = Database(f"sqlite+aiosqlite:///{path}")
        try:
            await migrate.upgrade(db)
            async with db.engine.connect() as conn:
                await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        finally:
            await db.dispose()

    asyncio.run(_migrate())
    return path


async def _truncate_pg(url: str) -> None:
    tables = [t.name for t in load_all_models().sorted_tables]
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "sentinel.db"
        shutil.copyfile(template, target)
        yield f"sqlite+aiosqlite:///{target}"
    else:
        url: str = request.getfixturevalue("pg_template_url")
        asyncio.run(_truncate_pg(url))
        yield url


def make_settings(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "data_dir": data_dir,
        "secret_key": "test-secret-key-test-secret-key-0123",
        "worker_enabled": False,
        "bootstrap_admin_email": ADMIN_EMAIL,
        "bootstrap_admin_password": ADMIN_PASSWORD,
        "bootstrap_api_key": INGEST_KEY,
        "log_format": "text",
        # In-process apps keep ingest in the test's process; tests/ingest and every
        # live `sentinel serve` on SQLite (tests/e2e) run the ingest processes.
        "ingest_processes": 0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path / "data")


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Any]:
    application = create_app(settings)
    # Startup migrates a fresh database: about 2 s on PostgreSQL here, and the default 5 s
    # was once exceeded while CI's end-to-end servers loaded both cores.
    async with LifespanManager(application, startup_timeout=30, shutdown_timeout=30):
        yield application


@pytest.fixture
async def db(app: Any) -> Database:
    database: Database = app.state.db
    return database


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sentinel.test") as http:
        yield http


@pytest.fixture
async def admin_headers(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.post(
        "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def ingest_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {INGEST_KEY}"}


UserFactory = Callable[[str], Awaitable[dict[str, str]]]


@pytest.fixture
async def login_as(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> UserFactory:
    """Create a user with the given role and return its auth headers."""

    async def _login(role: str) -> dict[str, str]:
        email = f"{role}-{uuid.uuid4().hex[:6]}@example.com"
        created = await client.post(
            "/api/users",
            headers=admin_headers,
            json={"email": email, "name": role.title(), "password": "password-123", "role": role},
        )
        assert created.status_code == 201, created.text
        token = await client.post(
            "/api/auth/login", json={"email": email, "password": "password-123"}
        )
        assert token.status_code == 200, token.text
        return {"Authorization": f"Bearer {token.json()['access_token']}"}

    return _login


@pytest.fixture
async def key_with(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> UserFactory:
    """Create an API key with comma-separated scopes and return its auth headers."""

    async def _key(scopes: str) -> dict[str, str]:
        created = await client.post(
            "/api/api-keys",
            headers=admin_headers,
            json={"name": f"key {scopes}", "scopes": scopes.split(",")},
        )
        assert created.status_code == 201, created.text
        return {"Authorization": f"Bearer {created.json()['key']}"}

    return _key

"""Real receivers on loopback for the store tests that page people: `http` stands in for
Slack, Twilio, webhooks and PagerDuty, `smtp` (aiosmtpd) for the mail server; and
`fresh_url`, an empty database of each kind for migration tests; `slow`, a second pool on
the test's PostgreSQL database for a writer that holds its transaction open."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from sentinel.storage.engine import Database
from tests.conftest import _base_pg_url, _recreate_pg_database
from tests.notify_receivers import HttpReceiver, SmtpReceiver


@pytest.fixture
def http() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
async def slow(db: Database) -> AsyncIterator[Database]:
    """A second pool on the same PostgreSQL database: the slow writer's connection, for
    the tests of followers that must not pass a row whose transaction commits late."""
    if db.dialect != "postgresql":
        pytest.skip("SQLite has one writer: ids become visible in the order they commit")
    other = Database(db.url)
    try:
        yield other
    finally:
        await other.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind, of its own, for migration tests (they apply the
    revisions themselves)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'before.db'}"
        return
    request.getfixturevalue("pg_template_url")  # skips (or fails on CI) without PG
    base, name = _base_pg_url(), f"sentinel_mig_{uuid.uuid4().hex[:10]}"
    asyncio.run(_recreate_pg_database(base, name))
    yield base.rsplit("/", 1)[0] + "/" + name
    asyncio.run(_recreate_pg_database(base, name, drop_only=True))

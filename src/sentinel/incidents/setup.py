"""What the incidents domain runs beside the HTTP server: the PostgreSQL LISTEN that
feeds live incident events to this replica's SSE subscribers (and a check of the runbook
settings, so a bad allow-list stops the start rather than the first run)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI

from sentinel.incidents import events
from sentinel.incidents.config import RunbookSettings
from sentinel.storage.engine import Database


async def start_background(app: FastAPI) -> Callable[[], Awaitable[None]]:
    RunbookSettings()  # a bad SENTINEL_RUNBOOK_ALLOWED_HOSTS pattern stops the start here
    db: Database = app.state.db
    return await events.listen(db.engine)

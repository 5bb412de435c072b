"""What the incidents domain runs beside the HTTP server: the PostgreSQL LISTEN that
feeds live incident events to this replica's SSE subscribers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI

from sentinel.incidents import events
from sentinel.storage.engine import Database


async def start_background(app: FastAPI) -> Callable[[], Awaitable[None]]:
    db: Database = app.state.db
    return await events.listen(db.engine)

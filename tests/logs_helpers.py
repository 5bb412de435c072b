"""Shared helpers for the log tests."""

from __future__ import annotations

import time
from typing import Any

from sentinel.logs.derive import Miner, derive_pending
from sentinel.storage.engine import Database


async def derive_now(db: Database, miner: Miner | None = None) -> int:
    """Run the worker's derived work (index + patterns) to the end, now."""
    miner = miner or Miner()
    total = 0
    while True:
        done = await derive_pending(db, miner)
        total += done
        if done == 0:
            return total


def record(message: str, **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "timestamp": fields.pop("timestamp", time.time()),
        "service_name": fields.pop("service_name", "checkout"),
        "level": fields.pop("level", "INFO"),
        "message": message,
    }
    out.update(fields)
    return out

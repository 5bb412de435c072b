"""The lifecycle event row every stage writes (as a parameter dict for executemany)."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def lifecycle_event(
    alert_id: int,
    kind: str,
    at: datetime,
    actor: str | None,
    group_id: int | None = None,
    **detail: Any,
) -> dict[str, Any]:
    return {
        "alert_id": alert_id,
        "group_id": group_id,
        "kind": kind,
        "at": at,
        "actor": actor,
        "detail": detail,
    }

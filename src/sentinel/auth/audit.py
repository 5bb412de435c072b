"""The audit log: who changed what, when. Written in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.auth.models import AuditEvent
from sentinel.auth.roles import Principal
from sentinel.observability import current_request_id


def record(
    session: AsyncSession,
    actor: Principal | None,
    action: str,
    target_type: str,
    target_id: object | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an audit entry; it commits or rolls back with the mutation it describes."""
    session.add(
        AuditEvent(
            actor_type=actor.kind if actor else "system",
            actor_id=actor.id if actor else None,
            actor_name=actor.name if actor else "system",
            action=action,
            target_type=target_type,
            target_id=None if target_id is None else str(target_id),
            detail=detail or {},
            request_id=current_request_id(),
        )
    )

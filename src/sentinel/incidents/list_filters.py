"""The incident list's filters (GET /api/incidents and /active); builds a query, no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, exists, func, literal_column, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.incidents.lifecycle import IncidentStatus
from sentinel.incidents.models import Incident
from sentinel.storage.dialect import dialect_name


def filtered(
    session: AsyncSession,
    stmt: Select[tuple[Incident]],
    *,
    statuses: Sequence[IncidentStatus] = (),
    severity: str | None = None,
    service: str | None = None,
    team_id: int | None = None,
) -> Select[tuple[Incident]]:
    """Any of `statuses`, the severity, a service among the affected ones (JSONB
    containment on PostgreSQL, json_each on SQLite), the owning team."""
    if statuses:
        stmt = stmt.where(Incident.status.in_([s.value for s in statuses]))
    if severity is not None:
        stmt = stmt.where(Incident.severity == severity)
    if team_id is not None:
        stmt = stmt.where(Incident.team_id == team_id)
    if service is not None:
        if dialect_name(session) == "postgresql":
            stmt = stmt.where(Incident.affected_services.cast(JSONB).contains([service]))
        else:
            each = func.json_each(Incident.affected_services).table_valued("value")
            match: Select[Any] = (
                select(literal_column("1")).select_from(each).where(each.c.value == service)
            )
            stmt = stmt.where(exists(match))
    return stmt

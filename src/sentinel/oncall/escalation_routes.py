"""/api/oncall/escalations: the running and finished escalations (read-only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from sentinel.api.deps import Reader, SessionDep
from sentinel.api.errors import NotFound
from sentinel.api.pagination import Page, PageParams, paginate
from sentinel.oncall.models import Escalation

router = APIRouter(tags=["oncall"])


class EscalationOut(BaseModel):
    id: int
    group_id: int
    policy_id: int
    chain: list[dict[str, Any]]
    status: str
    step_index: int
    next_step_at: datetime | None
    steps_run: int
    started_at: datetime
    stopped_at: datetime | None
    stopped_by: str | None
    stop_reason: str | None


def escalation_out(row: Escalation) -> EscalationOut:
    return EscalationOut.model_validate(row, from_attributes=True)


@router.get("/escalations", response_model=Page[EscalationOut])
async def list_escalations(
    _: Reader,
    session: SessionDep,
    page: PageParams,
    group_id: int | None = None,
    status: str | None = None,
) -> Page[EscalationOut]:
    """Escalations newest first, with the chain frozen when each started and its timer."""
    stmt = select(Escalation)
    if group_id is not None:
        stmt = stmt.where(Escalation.group_id == group_id)
    if status is not None:
        stmt = stmt.where(Escalation.status == status)
    rows, cursor = await paginate(session, stmt, page, [Escalation.id])
    return Page(items=[escalation_out(r) for r in rows], next_cursor=cursor)


@router.get("/escalations/{escalation_id}", response_model=EscalationOut)
async def get_escalation(escalation_id: int, _: Reader, session: SessionDep) -> EscalationOut:
    row = await session.get(Escalation, escalation_id)
    if row is None:
        raise NotFound(f"No escalation with id {escalation_id}.")
    return escalation_out(row)

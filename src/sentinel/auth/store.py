"""Queries of the auth domain. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.auth.models import ApiKey, AuditEvent, Team, TeamMember, User


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    result = await session.scalars(select(User).where(User.email == email.strip().lower()))
    return result.first()


async def user_by_id(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def user_names(session: AsyncSession, user_ids: list[int]) -> dict[int, str]:
    rows = await session.execute(select(User.id, User.name).where(User.id.in_(user_ids)))
    return {user_id: name for user_id, name in rows.all()}


async def count_users(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def count_api_keys(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(ApiKey)) or 0)


async def team_ids_of(session: AsyncSession, user_id: int) -> frozenset[int]:
    result = await session.scalars(select(TeamMember.team_id).where(TeamMember.user_id == user_id))
    return frozenset(result.all())


async def api_key_by_prefix(session: AsyncSession, prefix: str) -> ApiKey | None:
    result = await session.scalars(select(ApiKey).where(ApiKey.prefix == prefix))
    return result.first()


async def team_by_id(session: AsyncSession, team_id: int) -> Team | None:
    return await session.get(Team, team_id)


async def team_by_name(session: AsyncSession, name: str) -> Team | None:
    return (await session.scalars(select(Team).where(Team.name == name))).first()


async def member_ids(session: AsyncSession, team_ids: Sequence[int]) -> dict[int, list[int]]:
    members: dict[int, list[int]] = {team_id: [] for team_id in team_ids}
    if not team_ids:
        return members
    rows = await session.execute(
        select(TeamMember.team_id, TeamMember.user_id)
        .where(TeamMember.team_id.in_(team_ids))
        .order_by(TeamMember.user_id)
    )
    for team_id, user_id in rows:
        members[team_id].append(user_id)
    return members


async def membership(session: AsyncSession, team_id: int, user_id: int) -> TeamMember | None:
    return await session.get(TeamMember, (team_id, user_id))


async def remove_membership(session: AsyncSession, team_id: int, user_id: int) -> int:
    result = await session.execute(
        delete(TeamMember).where(TeamMember.team_id == team_id, TeamMember.user_id == user_id)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def users_query() -> Select[Any]:
    return select(User)


def teams_query() -> Select[Any]:
    return select(Team)


def api_keys_query() -> Select[Any]:
    return select(ApiKey)


def audit_query(
    action: str | None,
    actor_name: str | None,
    target_type: str | None,
    since: datetime | None,
    until: datetime | None,
) -> Select[Any]:
    stmt = select(AuditEvent)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if actor_name:
        stmt = stmt.where(AuditEvent.actor_name == actor_name)
    if target_type:
        stmt = stmt.where(AuditEvent.target_type == target_type)
    if since:
        stmt = stmt.where(AuditEvent.at >= since)
    if until:
        stmt = stmt.where(AuditEvent.at < until)
    return stmt

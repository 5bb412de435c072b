"""Who may change a schedule or an escalation policy: admins any; everybody else (with the
write permission) only those of teams they belong to, and those without a team.

Membership is read live, not from the principal (cached for a few seconds), so somebody
removed from a team loses the right at once. API keys belong to no team: a write-scoped
key changes only team-less schedules and policies; an admin-scoped key changes all."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.api.errors import Forbidden
from sentinel.auth.models import Team, TeamMember
from sentinel.auth.roles import Permission, Principal


async def is_member(session: AsyncSession, principal: Principal, team_id: int) -> bool:
    if principal.kind != "user":
        return False
    found = await session.scalar(
        select(TeamMember.user_id).where(
            TeamMember.team_id == team_id, TeamMember.user_id == principal.id
        )
    )
    return found is not None


async def require_team_access(
    session: AsyncSession, principal: Principal, team_id: int | None, what: str
) -> None:
    """403 unless `principal` may change `what` (e.g. "schedule 3"), owned by `team_id`."""
    if team_id is None or principal.can(Permission.ADMIN):
        return
    if await is_member(session, principal, team_id):
        return
    team = await session.get(Team, team_id)
    name = f"team {team.name!r} (id {team_id})" if team else f"team {team_id}"
    who = "an API key belongs to no team" if principal.kind != "user" else "you are not a member"
    raise Forbidden(
        f"{what} belongs to {name}; only its members or an admin may change it ({who})."
    )

"""Operations of the auth domain: login, authentication, users, teams, API keys."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.api.errors import Conflict, Forbidden, NotFound, Unauthorized
from sentinel.auth import audit, store
from sentinel.auth.cache import PrincipalCache
from sentinel.auth.models import ApiKey, Team, TeamMember, User
from sentinel.auth.roles import (
    Permission,
    Principal,
    Role,
    Scope,
    permissions_for_role,
    permissions_for_scopes,
)
from sentinel.auth.schemas import (
    ApiKeyCreate,
    TeamCreate,
    TeamOut,
    TeamUpdate,
    TokenResponse,
    UserCreate,
    UserUpdate,
)
from sentinel.auth.secrets import (
    InvalidToken,
    api_key_matches,
    api_key_prefix,
    hash_password,
    issue_token,
    looks_like_api_key,
    new_api_key,
    read_token,
    verify_password,
)

_KEY_TOUCH_INTERVAL = timedelta(minutes=1)


@functools.cache
def _dummy_hash() -> str:
    """Verifying against a dummy hash keeps a login for an unknown email as slow as a real one."""
    return hash_password(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class AuthConfig:
    jwt_secret: str
    jwt_ttl: timedelta
    principals: PrincipalCache = field(default_factory=PrincipalCache)


async def login(
    session: AsyncSession, config: AuthConfig, email: str, password: str
) -> TokenResponse:
    """Exchange an email and password for a session token."""
    user = await store.user_by_email(session, email)
    if user is None:
        verify_password(_dummy_hash(), password)
        raise Unauthorized("Wrong email or password.")
    if not verify_password(user.password_hash, password) or not user.is_active:
        raise Unauthorized("Wrong email or password.")
    user.last_login_at = datetime.now(UTC)
    token = issue_token(config.jwt_secret, user.id, config.jwt_ttl)
    return TokenResponse(access_token=token, expires_in=int(config.jwt_ttl.total_seconds()))


async def authenticate(session: AsyncSession, config: AuthConfig, credential: str) -> Principal:
    """Resolve a bearer credential (session token or API key) to a principal."""
    cached = config.principals.get(credential)
    if cached is not None:
        return cached
    principal = await _resolve(session, config, credential)
    config.principals.put(credential, principal)
    return principal


async def _resolve(session: AsyncSession, config: AuthConfig, credential: str) -> Principal:
    if looks_like_api_key(credential):
        return await _authenticate_key(session, credential)
    try:
        user_id = read_token(config.jwt_secret, credential)
    except InvalidToken as exc:
        raise Unauthorized(str(exc)) from exc
    user = await store.user_by_id(session, user_id)
    if user is None or not user.is_active:
        raise Unauthorized("The account behind this token no longer exists or is disabled.")
    role = Role(user.role)
    return Principal(
        kind="user",
        id=user.id,
        name=user.email,
        role=role,
        permissions=permissions_for_role(role),
        team_ids=await store.team_ids_of(session, user.id),
    )


async def _authenticate_key(session: AsyncSession, key: str) -> Principal:
    row = await store.api_key_by_prefix(session, api_key_prefix(key))
    if row is None or not api_key_matches(key, row.key_hash):
        raise Unauthorized("The API key is not valid.")
    now = datetime.now(UTC)
    if row.revoked_at is not None:
        raise Unauthorized("The API key has been revoked.")
    if row.expires_at is not None and row.expires_at <= now:
        raise Unauthorized("The API key has expired.")
    if row.last_used_at is None or now - row.last_used_at > _KEY_TOUCH_INTERVAL:
        row.last_used_at = now
    scopes = tuple(Scope(s) for s in row.scopes)
    return Principal(
        kind="api_key",
        id=row.id,
        name=f"key:{row.name}",
        scopes=scopes,
        permissions=permissions_for_scopes(scopes),
    )


async def create_user(session: AsyncSession, actor: Principal | None, data: UserCreate) -> User:
    """Add a person who can log in."""
    if await store.user_by_email(session, data.email) is not None:
        raise Conflict(f"A user with email {data.email} already exists.")
    user = User(
        email=data.email,
        name=data.name,
        password_hash=hash_password(data.password),
        role=data.role.value,
        is_active=True,
        time_zone=data.time_zone,
    )
    session.add(user)
    await session.flush()
    audit.record(
        session, actor, "user.create", "user", user.id, {"email": user.email, "role": user.role}
    )
    return user


async def get_user(session: AsyncSession, user_id: int) -> User:
    user = await store.user_by_id(session, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    return user


async def user_names(session: AsyncSession, user_ids: Collection[int]) -> dict[int, str]:
    """Display names of these users (ids that do not exist are left out)."""
    return await store.user_names(session, list(user_ids)) if user_ids else {}


async def update_user(
    session: AsyncSession,
    actor: Principal,
    user_id: int,
    data: UserUpdate,
    principals: PrincipalCache | None = None,
) -> User:
    """Change a user. Admins may change anyone; people may change their own name,
    password and time zone."""
    user = await get_user(session, user_id)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if not actor.can(Permission.ADMIN):
        if actor.kind != "user" or actor.id != user_id:
            raise Forbidden("Only an admin may change another user.")
        if {"role", "is_active"} & changes.keys():
            raise Forbidden("Only an admin may change roles or disable accounts.")
    if "password" in changes:
        user.password_hash = hash_password(changes.pop("password"))
        changes["password"] = "(changed)"  # noqa: S105 - the audit entry says it changed
    for name in ("name", "role", "is_active", "time_zone"):
        if name in changes:
            value = changes[name]
            setattr(user, name, value.value if isinstance(value, Role) else value)
    audit.record(
        session, actor, "user.update", "user", user.id, {k: str(v) for k, v in changes.items()}
    )
    if principals is not None:
        principals.clear()
    return user


async def create_team(session: AsyncSession, actor: Principal, data: TeamCreate) -> TeamOut:
    if await store.team_by_name(session, data.name) is not None:
        raise Conflict(f"A team named {data.name!r} already exists.")
    team = Team(name=data.name, description=data.description)
    session.add(team)
    await session.flush()
    audit.record(session, actor, "team.create", "team", team.id, {"name": team.name})
    return team_out(team, [])


def team_out(team: Team, members: list[int]) -> TeamOut:
    return TeamOut(
        id=team.id,
        name=team.name,
        description=team.description,
        created_at=team.created_at,
        member_ids=members,
    )


async def get_team(session: AsyncSession, team_id: int) -> TeamOut:
    team = await store.team_by_id(session, team_id)
    if team is None:
        raise NotFound(f"No team with id {team_id}.")
    members = await store.member_ids(session, [team.id])
    return team_out(team, members[team.id])


async def update_team(
    session: AsyncSession, actor: Principal, team_id: int, data: TeamUpdate
) -> TeamOut:
    team = await store.team_by_id(session, team_id)
    if team is None:
        raise NotFound(f"No team with id {team_id}.")
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    renamed = "name" in changes and changes["name"] != team.name
    if renamed and await store.team_by_name(session, changes["name"]) is not None:
        raise Conflict(f"A team named {changes['name']!r} already exists.")
    for name, value in changes.items():
        setattr(team, name, value)
    audit.record(session, actor, "team.update", "team", team.id, changes)
    return await get_team(session, team_id)


async def delete_team(session: AsyncSession, actor: Principal, team_id: int) -> None:
    team = await store.team_by_id(session, team_id)
    if team is None:
        raise NotFound(f"No team with id {team_id}.")
    await session.delete(team)
    audit.record(session, actor, "team.delete", "team", team_id, {"name": team.name})


async def add_member(
    session: AsyncSession,
    actor: Principal,
    team_id: int,
    user_id: int,
    principals: PrincipalCache | None = None,
) -> TeamOut:
    if await store.team_by_id(session, team_id) is None:
        raise NotFound(f"No team with id {team_id}.")
    await get_user(session, user_id)
    if await store.membership(session, team_id, user_id) is None:
        session.add(TeamMember(team_id=team_id, user_id=user_id))
        await session.flush()
        audit.record(session, actor, "team.member.add", "team", team_id, {"user_id": user_id})
        if principals is not None:
            principals.clear()
    return await get_team(session, team_id)


async def remove_member(
    session: AsyncSession,
    actor: Principal,
    team_id: int,
    user_id: int,
    principals: PrincipalCache | None = None,
) -> None:
    if await store.remove_membership(session, team_id, user_id) == 0:
        raise NotFound(f"User {user_id} is not a member of team {team_id}.")
    audit.record(session, actor, "team.member.remove", "team", team_id, {"user_id": user_id})
    if principals is not None:
        principals.clear()


async def create_api_key(
    session: AsyncSession, actor: Principal | None, data: ApiKeyCreate, preset: str | None = None
) -> tuple[ApiKey, str]:
    """Create a key; the key itself is returned once and only its digest is stored."""
    made = new_api_key(preset)
    if await store.api_key_by_prefix(session, made.prefix) is not None:
        raise Conflict("An API key with the same prefix exists; choose another preset key.")
    row = ApiKey(
        name=data.name,
        prefix=made.prefix,
        key_hash=made.key_hash,
        scopes=sorted({s.value for s in data.scopes}),
        created_by_user_id=actor.id if actor and actor.kind == "user" else None,
        expires_at=data.expires_at,
    )
    session.add(row)
    await session.flush()
    audit.record(
        session,
        actor,
        "api_key.create",
        "api_key",
        row.id,
        {"name": row.name, "scopes": row.scopes},
    )
    return row, made.key


async def revoke_api_key(
    session: AsyncSession, actor: Principal, key_id: int, principals: PrincipalCache | None = None
) -> None:
    row = await session.get(ApiKey, key_id)
    if row is None or row.revoked_at is not None:
        raise NotFound(f"No active API key with id {key_id}.")
    row.revoked_at = datetime.now(UTC)
    audit.record(session, actor, "api_key.revoke", "api_key", key_id, {"name": row.name})
    if principals is not None:
        principals.clear()

"""HTTP routes of the auth domain: login, me, users, teams, API keys, audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from sentinel.api.deps import Admin, AuthConfigDep, PrincipalDep, Reader, SessionDep, Writer
from sentinel.api.pagination import Page, PageParams, paginate
from sentinel.auth import service, store
from sentinel.auth.models import ApiKey, AuditEvent, Team, User
from sentinel.auth.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    AuditEventOut,
    LoginRequest,
    MeOut,
    TeamCreate,
    TeamMemberAdd,
    TeamOut,
    TeamUpdate,
    TokenResponse,
    UserCreate,
    UserOut,
    UserUpdate,
)
from sentinel.timeutil import UtcDatetime

router = APIRouter(prefix="/api", tags=["auth"])


@router.post("/auth/login", response_model=TokenResponse)
async def login(body: LoginRequest, session: SessionDep, config: AuthConfigDep) -> TokenResponse:
    """Log in with email and password; returns a bearer token."""
    return await service.login(session, config, body.email, body.password)


@router.get("/auth/me", response_model=MeOut)
async def me(principal: PrincipalDep, session: SessionDep) -> MeOut:
    """Who the current credential belongs to and what it may do."""
    user = await store.user_by_id(session, principal.id) if principal.kind == "user" else None
    return MeOut(
        kind=principal.kind,
        id=principal.id,
        name=principal.name,
        role=principal.role,
        scopes=list(principal.scopes),
        permissions=sorted(p.value for p in principal.permissions),
        team_ids=sorted(principal.team_ids),
        user=UserOut.model_validate(user) if user else None,
    )


@router.get("/users", response_model=Page[UserOut])
async def list_users(_: Reader, session: SessionDep, page: PageParams) -> Page[UserOut]:
    rows, cursor = await paginate(session, store.users_query(), page, [User.id], descending=False)
    return Page(items=[UserOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.post("/users", response_model=UserOut, status_code=201)
async def create_user(body: UserCreate, actor: Admin, session: SessionDep) -> UserOut:
    return UserOut.model_validate(await service.create_user(session, actor, body))


@router.get("/users/{user_id}", response_model=UserOut)
async def get_user(user_id: int, _: Reader, session: SessionDep) -> UserOut:
    return UserOut.model_validate(await service.get_user(session, user_id))


@router.patch("/users/{user_id}", response_model=UserOut)
async def update_user(
    user_id: int,
    body: UserUpdate,
    actor: PrincipalDep,
    session: SessionDep,
    config: AuthConfigDep,
) -> UserOut:
    """Admins change anyone; everyone may change their own name, password and time zone."""
    return UserOut.model_validate(
        await service.update_user(session, actor, user_id, body, config.principals)
    )


@router.get("/teams", response_model=Page[TeamOut])
async def list_teams(_: Reader, session: SessionDep, page: PageParams) -> Page[TeamOut]:
    rows, cursor = await paginate(session, store.teams_query(), page, [Team.id], descending=False)
    members = await store.member_ids(session, [t.id for t in rows])
    return Page(items=[service.team_out(t, members[t.id]) for t in rows], next_cursor=cursor)


@router.post("/teams", response_model=TeamOut, status_code=201)
async def create_team(body: TeamCreate, actor: Writer, session: SessionDep) -> TeamOut:
    return await service.create_team(session, actor, body)


@router.get("/teams/{team_id}", response_model=TeamOut)
async def get_team(team_id: int, _: Reader, session: SessionDep) -> TeamOut:
    return await service.get_team(session, team_id)


@router.patch("/teams/{team_id}", response_model=TeamOut)
async def update_team(
    team_id: int, body: TeamUpdate, actor: Writer, session: SessionDep
) -> TeamOut:
    return await service.update_team(session, actor, team_id, body)


@router.delete("/teams/{team_id}", status_code=204)
async def delete_team(team_id: int, actor: Writer, session: SessionDep) -> Response:
    await service.delete_team(session, actor, team_id)
    return Response(status_code=204)


@router.post("/teams/{team_id}/members", response_model=TeamOut)
async def add_team_member(
    team_id: int, body: TeamMemberAdd, actor: Writer, session: SessionDep, config: AuthConfigDep
) -> TeamOut:
    return await service.add_member(session, actor, team_id, body.user_id, config.principals)


@router.delete("/teams/{team_id}/members/{user_id}", status_code=204)
async def remove_team_member(
    team_id: int, user_id: int, actor: Writer, session: SessionDep, config: AuthConfigDep
) -> Response:
    await service.remove_member(session, actor, team_id, user_id, config.principals)
    return Response(status_code=204)


@router.get("/api-keys", response_model=Page[ApiKeyOut])
async def list_api_keys(_: Admin, session: SessionDep, page: PageParams) -> Page[ApiKeyOut]:
    rows, cursor = await paginate(session, store.api_keys_query(), page, [ApiKey.id])
    return Page(items=[ApiKeyOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=201)
async def create_api_key(body: ApiKeyCreate, actor: Admin, session: SessionDep) -> ApiKeyCreated:
    """Create a key. The response holds the key itself; it is never shown again."""
    row, key = await service.create_api_key(session, actor, body)
    return ApiKeyCreated(**ApiKeyOut.model_validate(row).model_dump(), key=key)


@router.delete("/api-keys/{key_id}", status_code=204)
async def revoke_api_key(
    key_id: int, actor: Admin, session: SessionDep, config: AuthConfigDep
) -> Response:
    await service.revoke_api_key(session, actor, key_id, config.principals)
    return Response(status_code=204)


@router.get("/audit", response_model=Page[AuditEventOut])
async def list_audit_events(
    _: Admin,
    session: SessionDep,
    page: PageParams,
    action: Annotated[str | None, Query(description="e.g. user.create")] = None,
    actor: Annotated[str | None, Query(description="actor name, e.g. an email")] = None,
    target_type: Annotated[str | None, Query()] = None,
    since: Annotated[UtcDatetime | None, Query()] = None,
    until: Annotated[UtcDatetime | None, Query()] = None,
) -> Page[AuditEventOut]:
    """The audit log, newest first."""
    stmt = store.audit_query(action, actor, target_type, since, until)
    rows, cursor = await paginate(session, stmt, page, [AuditEvent.id])
    return Page(items=[AuditEventOut.model_validate(r) for r in rows], next_cursor=cursor)

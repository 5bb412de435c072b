"""Dependencies every router uses: the request's transaction and `require(...)`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.api.errors import Forbidden, Unauthorized
from sentinel.auth.roles import Permission, Principal
from sentinel.auth.service import AuthConfig, authenticate
from sentinel.config import Settings
from sentinel.storage.engine import Database


async def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_auth_config(request: Request) -> AuthConfig:
    config: AuthConfig = request.app.state.auth
    return config


async def get_session(
    db: Annotated[Database, Depends(get_database)],
) -> AsyncIterator[AsyncSession]:
    """One request, one transaction: committed after the endpoint returns and before the
    response is sent, so a 2xx means the change is durable."""
    async with db.transaction() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
AuthConfigDep = Annotated[AuthConfig, Depends(get_auth_config)]

_bearer = HTTPBearer(
    auto_error=False, description="A session token from /api/auth/login or an API key."
)
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key.")


async def presented_credential(
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> str | None:
    credential = (bearer.credentials if bearer else None) or api_key
    return credential.strip() if credential else None


CredentialDep = Annotated[str | None, Depends(presented_credential)]


async def current_principal(
    db: Annotated[Database, Depends(get_database)],
    config: AuthConfigDep,
    credential: CredentialDep,
) -> Principal:
    """Authenticate in a short transaction of its own (usually answered from the principal
    cache), so that a request never holds one pooled connection for auth while waiting for
    another to write: with more concurrent requests than the pool has connections that
    would deadlock until the pool timed out."""
    if not credential:
        raise Unauthorized(
            "Authentication required: send 'Authorization: Bearer <token or API key>' "
            "or 'X-API-Key: <key>'."
        )
    cached = config.principals.get(credential)
    if cached is not None:
        return cached
    async with db.transaction() as session:
        return await authenticate(session, config, credential)


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require(permission: Permission) -> Callable[..., Awaitable[Principal]]:
    """A dependency that admits only callers holding `permission`."""

    async def check(principal: PrincipalDep) -> Principal:
        if not principal.can(permission):
            what = (
                f"role '{principal.role.value}'"
                if principal.role
                else f"key scopes {[s.value for s in principal.scopes]}"
            )
            raise Forbidden(
                f"This action needs the '{permission}' permission, which {what} does not grant."
            )
        return principal

    return check


Reader = Annotated[Principal, Depends(require(Permission.READ))]
Responder = Annotated[Principal, Depends(require(Permission.RESPOND))]
Writer = Annotated[Principal, Depends(require(Permission.WRITE))]
Admin = Annotated[Principal, Depends(require(Permission.ADMIN))]
Ingester = Annotated[Principal, Depends(require(Permission.INGEST))]

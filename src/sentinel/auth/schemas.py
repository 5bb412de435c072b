"""Request and response shapes of the auth API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sentinel.auth.roles import Role, Scope
from sentinel.timeutil import UtcDatetime

_EMAIL = r"^[^@\s]+@[^@\s]+$"


class LoginRequest(BaseModel):
    email: str = Field(pattern=_EMAIL, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str
    role: Role
    is_active: bool
    time_zone: str
    created_at: datetime
    last_login_at: datetime | None


class MeOut(BaseModel):
    kind: str
    id: int
    name: str
    role: Role | None
    scopes: list[Scope]
    permissions: list[str]
    team_ids: list[int]
    user: UserOut | None = None


class UserCreate(BaseModel):
    email: str = Field(pattern=_EMAIL, max_length=320)
    name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=8, max_length=1024)
    role: Role = Role.VIEWER
    time_zone: str = Field("UTC", max_length=64)

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()


class UserUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    password: str | None = Field(None, min_length=8, max_length=1024)
    role: Role | None = None
    is_active: bool | None = None
    time_zone: str | None = Field(None, max_length=64)


class TeamCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)


class TeamUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)


class TeamOut(BaseModel):
    id: int
    name: str
    description: str
    created_at: datetime
    member_ids: list[int]


class TeamMemberAdd(BaseModel):
    user_id: int


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[Scope] = Field(min_length=1)
    expires_at: UtcDatetime | None = None


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    scopes: list[Scope]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key itself. It is shown only in this response.")


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_type: str
    actor_id: int | None
    actor_name: str
    action: str
    target_type: str
    target_id: str | None
    detail: dict[str, Any]
    request_id: str | None

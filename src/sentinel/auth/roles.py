"""Who may do what: roles for people, scopes for API keys. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    RESPONDER = "responder"
    VIEWER = "viewer"


class Scope(StrEnum):
    INGEST = "ingest"
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


class Permission(StrEnum):
    INGEST = "ingest"  # send telemetry and alerts
    READ = "read"  # see everything that is not admin-only
    RESPOND = "respond"  # acknowledge, resolve, comment, take part in incidents
    WRITE = "write"  # change configuration: rules, schedules, policies, SLOs
    ADMIN = "admin"  # users, API keys, audit log


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.READ}),
    Role.RESPONDER: frozenset({Permission.READ, Permission.RESPOND}),
    Role.EDITOR: frozenset(
        {Permission.READ, Permission.RESPOND, Permission.WRITE, Permission.INGEST}
    ),
    Role.ADMIN: frozenset(Permission),
}

SCOPE_PERMISSIONS: dict[Scope, frozenset[Permission]] = {
    Scope.INGEST: frozenset({Permission.INGEST}),
    Scope.READ: frozenset({Permission.READ}),
    Scope.WRITE: frozenset(
        {Permission.READ, Permission.RESPOND, Permission.WRITE, Permission.INGEST}
    ),
    Scope.ADMIN: frozenset(Permission),
}


@dataclass(frozen=True)
class Principal:
    """The caller of a request: a person (JWT) or a machine (API key)."""

    kind: str  # "user" or "api_key"
    id: int
    name: str
    permissions: frozenset[Permission]
    role: Role | None = None
    scopes: tuple[Scope, ...] = ()
    team_ids: frozenset[int] = field(default_factory=frozenset)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


def permissions_for_role(role: Role) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[role]


def permissions_for_scopes(scopes: tuple[Scope, ...]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for scope in scopes:
        granted |= SCOPE_PERMISSIONS[scope]
    return frozenset(granted)

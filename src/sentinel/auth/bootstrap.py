"""First start: create an admin and an ingest key, and say so once."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from sentinel.auth import service, store
from sentinel.auth.roles import Role, Scope
from sentinel.auth.schemas import ApiKeyCreate, UserCreate
from sentinel.config import Settings
from sentinel.storage.dialect import dialect_name

_BOOTSTRAP_LOCK = 7_310_002


@dataclass(frozen=True)
class BootstrapResult:
    admin_email: str | None = None
    admin_password: str | None = None  # only when Sentinel generated it
    api_key: str | None = None  # only when Sentinel generated it
    api_key_preset: bool = False

    @property
    def created_anything(self) -> bool:
        return self.admin_email is not None or self.api_key is not None or self.api_key_preset


async def bootstrap(session: AsyncSession, settings: Settings) -> BootstrapResult:
    """Create the first admin and ingest key if there are none; idempotent across replicas."""
    if dialect_name(session) == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _BOOTSTRAP_LOCK})
    admin_email = admin_password = api_key = None
    preset_key = False
    if await store.count_users(session) == 0:
        preset = settings.bootstrap_admin_password
        password = preset.get_secret_value() if preset else secrets.token_urlsafe(12)
        await service.create_user(
            session,
            None,
            UserCreate(
                email=settings.bootstrap_admin_email,
                name="Administrator",
                password=password,
                role=Role.ADMIN,
            ),
        )
        admin_email = settings.bootstrap_admin_email.lower()
        admin_password = None if preset else password
    if await store.count_api_keys(session) == 0:
        preset_value = settings.bootstrap_api_key
        _, key = await service.create_api_key(
            session,
            None,
            ApiKeyCreate(name="bootstrap ingest key", scopes=[Scope.INGEST]),
            preset=preset_value.get_secret_value() if preset_value else None,
        )
        preset_key = preset_value is not None
        api_key = None if preset_key else key
    return BootstrapResult(admin_email, admin_password, api_key, preset_key)

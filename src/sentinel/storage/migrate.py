"""Apply the Alembic history on the app's own engine (SQLite or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text

from sentinel.storage.engine import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any fixed number: replicas starting together take this lock so one of them migrates.
_MIGRATION_LOCK = 7_310_001


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
    command.upgrade(alembic_config(connection), revision)


def _current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    heads = MigrationContext.configure(connection).get_current_heads()
    return ",".join(sorted(heads)) or None


def _upgrade_sqlite(connection: Connection, revision: str) -> None:
    # A migration that rebuilds a table other tables reference (batch "recreate": copy,
    # DROP, rename) must not have the DROP cascade to the referencing rows or be refused
    # by them. SQLite ignores this pragma inside a transaction: it is set before the first
    # statement (the driver begins a transaction only before a write) and set back after
    # the commit, so the pooled connection enforces foreign keys again. Such a migration
    # checks its references itself (PRAGMA foreign_key_check).
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    connection.commit()
    try:
        with connection.begin():
            _upgrade(connection, revision)
    finally:
        connection.rollback()
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()


async def upgrade(db: Database, revision: str = "heads") -> None:
    """Bring the schema to `revision`; safe to call from several replicas at once."""
    if db.dialect == "sqlite":
        async with db.engine.connect() as connection:
            await connection.run_sync(_upgrade_sqlite, revision)
        return
    async with db.engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)


async def current_revision(db: Database) -> str | None:
    async with db.engine.connect() as connection:
        return await connection.run_sync(_current)


def head_revisions() -> str | None:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    return ",".join(sorted(heads)) or None

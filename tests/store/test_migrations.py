"""The Alembic history and the models describe the same schema, on both databases."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from sentinel.storage import migrate
from sentinel.storage.all_models import load_all_models
from sentinel.storage.engine import Database


def _diff(connection: Connection) -> list[Any]:
    metadata = load_all_models()
    # Tables and indexes a migration creates outside the models (e.g. an FTS5 table and
    # its shadow tables, an expression index) are named by prefix in
    # metadata.info["unmanaged_table_prefixes"].
    unmanaged = tuple(metadata.info.get("unmanaged_table_prefixes", ()))

    def include_name(name: str | None, type_: str, _parent: Any) -> bool:
        managed_kind = type_ in ("table", "index")
        return not (managed_kind and name and unmanaged and name.startswith(unmanaged))

    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_name": include_name}
    )
    return list(compare_metadata(context, metadata))


async def test_models_and_migrations_agree(database_url: str) -> None:
    db = Database(database_url)
    try:
        await migrate.upgrade(db)  # idempotent on an already-migrated database
        async with db.engine.connect() as connection:
            differences = await connection.run_sync(_diff)
        assert differences == []
        assert await migrate.current_revision(db) == migrate.head_revisions()
    finally:
        await db.dispose()

"""Alembic environment: runs on the connection that sentinel.storage.migrate hands in."""

from __future__ import annotations

from alembic import context

from sentinel.storage.all_models import load_all_models

target_metadata = load_all_models()
connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `sentinel migrate`, which provides the connection")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

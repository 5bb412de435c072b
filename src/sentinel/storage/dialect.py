"""The few statements that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler


def dialect_name(session: AsyncSession) -> str:
    """'sqlite' or 'postgresql' for the engine the session is bound to."""
    return session.get_bind().dialect.name


@compiles(Table, "sqlite")
def _sqlite_table_hint(element: Table, compiler: SQLCompiler, **kw: Any) -> str:
    """SQLAlchemy's SQLite dialect drops FROM hints; this renders them, so that
    `stmt.with_hint(Model, "NOT INDEXED", dialect_name="sqlite")` reads
    `FROM table NOT INDEXED` (the rowid is all the planner may use)."""
    out: str = compiler.visit_table(element, **kw)  # type: ignore[no-untyped-call]
    hints = kw.get("fromhints")
    if kw.get("asfrom") and hints and element in hints:
        out += " " + hints[element]
    return out


def upsert_insert(session: AsyncSession, table: Any) -> Any:
    """An INSERT that supports on_conflict_do_nothing/do_update on the session's dialect."""
    if dialect_name(session) == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)

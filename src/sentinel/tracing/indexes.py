"""Indexes on spans that the models cannot describe, created by migrations.

`ix_spans_service_minute_duration` (migration 0012) orders each service's spans of one
clock minute by duration: an expression index on `start_ns / MINUTE_NS`. Queries must
repeat the expression with the constant inlined (never a bound parameter): both databases
match an index expression only against the same expression.
"""

from __future__ import annotations

from sentinel.storage.base import Base

MINUTE_NS = 60_000_000_000
MINUTE_INDEX = "ix_spans_service_minute_duration"
MINUTE_EXPRESSION = f"(start_ns / {MINUTE_NS})"

# The migration test skips it (reflection cannot compare an expression index).
Base.metadata.info.setdefault("unmanaged_table_prefixes", []).append(MINUTE_INDEX)

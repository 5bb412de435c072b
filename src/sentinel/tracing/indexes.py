"""Indexes on spans that the models cannot describe, created by migrations.

`ix_spans_service_hour_duration` (migration 0012) orders each service's spans of one
clock hour by duration: an expression index on `start_ns / HOUR_NS`. Queries must repeat
the expression with the constant inlined (never a bound parameter): both databases match
an index expression only against the same expression.
"""

from __future__ import annotations

from sentinel.storage.base import Base

HOUR_NS = 3_600_000_000_000
HOUR_INDEX = "ix_spans_service_hour_duration"
HOUR_EXPRESSION = f"(start_ns / {HOUR_NS})"

# The migration test skips it (reflection cannot compare an expression index).
Base.metadata.info.setdefault("unmanaged_table_prefixes", []).append(HOUR_INDEX)

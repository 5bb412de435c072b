"""tracing: ix_spans_service_minute_duration, a service's spans of each minute by duration

Revision ID: 0012_spans_duration_by_minute
Revises: 0011_tracing_last_seen

Trace search sorted by duration read every matching span of the window and sorted it.
This expression index orders a service's spans of one clock minute (start_ns / 1 min in
nanoseconds) by duration: the search seeks each minute's longest span, then reads only
the few minutes that can hold the longest matches (see sentinel.tracing.longest). The
same expression on both databases: integer division of two integers. By minute, not by
hour: an ingest batch touches few, hot pages of it. Building it reads the spans once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_spans_duration_by_minute"
down_revision = "0011_tracing_last_seen"
branch_labels = None
depends_on = None

# Kept equal to sentinel.tracing.indexes.MINUTE_INDEX / MINUTE_EXPRESSION (a test checks).
INDEX = "ix_spans_service_minute_duration"
MINUTE = "(start_ns / 60000000000)"


def upgrade() -> None:
    op.create_index(INDEX, "spans", ["service", sa.text(MINUTE), "duration_ns"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="spans")

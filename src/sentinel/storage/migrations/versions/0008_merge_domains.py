"""merge the domain branches (tracing, alerting, logs, slo, oncall, incidents)

Each domain's first migration branched from 0001 while they were built side by side;
this joins them so that later migrations have one parent.

Revision ID: 0008
Revises: 0002, 0003, 0004, 0005, 0006, 0007
Create Date: 2026-11-28 05:15:00
"""

from __future__ import annotations

revision = "0008"
down_revision = ("0002", "0003", "0004", "0005", "0006", "0007")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

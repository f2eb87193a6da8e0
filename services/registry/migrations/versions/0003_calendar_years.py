"""Published working-day calendar years

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.db import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("holidays", sa.JSON(), nullable=False),
        sa.Column("make_up_workdays", sa.JSON(), nullable=False),
        sa.Column("source_title", sa.String(length=200), nullable=False),
        sa.Column("source_number", sa.String(length=64), nullable=False),
        sa.Column("source_date", sa.Date(), nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_years")),
    )


def downgrade() -> None:
    op.drop_table("calendar_years")

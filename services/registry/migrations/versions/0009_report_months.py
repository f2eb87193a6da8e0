"""One row per project and month it reported in: the monthly report counts a month's reporters from it

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_months",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_report_months_project_id_projects")),
        sa.PrimaryKeyConstraint("month", "project_id", name=op.f("pk_report_months")),
    )
    # The months of the reports already recorded: a report counts in the month its week begins (its Monday).
    month = (
        "to_char(week_start, 'YYYY-MM')"
        if op.get_bind().dialect.name == "postgresql"
        else "strftime('%Y-%m', week_start)"
    )
    op.execute(
        f"INSERT INTO report_months (month, project_id) SELECT DISTINCT {month}, project_id FROM progress_reports"
    )


def downgrade() -> None:
    op.drop_table("report_months")

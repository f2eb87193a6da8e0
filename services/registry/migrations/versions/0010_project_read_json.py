"""Each project's read JSON, written by PostgreSQL on every insert and update (ADR 20)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The fields of ProjectRead in its order, as the fast path's row_to_json wrote them per read before: dates and
# timestamps by to_char, numerics as text. A change to ProjectRead needs a migration replacing this function
# (tests/registry/test_read_json.py compares the stored text with the fast path's statement).
_FUNCTION = """
CREATE FUNCTION projects_read_json() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.read_json := (
        SELECT row_to_json(r)::text FROM (
            SELECT
                NEW.id AS id,
                NEW.code AS code,
                NEW.name AS name,
                NEW.district AS district,
                NEW.developer_id AS developer_id,
                NEW.total_units AS total_units,
                NEW.sold_units AS sold_units,
                NEW.delivered_units AS delivered_units,
                to_char(NEW.contract_delivery_date, 'YYYY-MM-DD') AS contract_delivery_date,
                NEW.status AS status,
                CAST(NEW.progress_pct AS TEXT) AS progress_pct,
                to_char(NEW.stall_started_on, 'YYYY-MM-DD') AS stall_started_on,
                CAST(NEW.remaining_cost AS TEXT) AS remaining_cost,
                CAST(NEW.own_funds_available AS TEXT) AS own_funds_available,
                NEW.responsible_unit AS responsible_unit,
                NEW.responsible_person AS responsible_person,
                NEW.risk_tier AS risk_tier,
                NEW.task_force_leader_name AS task_force_leader_name,
                NEW.task_force_leader_title AS task_force_leader_title,
                NEW.stop_work_order AS stop_work_order,
                NEW.version AS version,
                to_char(NEW.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at,
                to_char(NEW.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS updated_at
        ) AS r
    );
    RETURN NEW;
END
$$
"""


def upgrade() -> None:
    op.add_column("projects", sa.Column("read_json", sa.Text(), nullable=True))
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite's fast path serialises in Python; the column stays empty there.
    op.execute(_FUNCTION)
    op.execute(
        "CREATE TRIGGER projects_read_json BEFORE INSERT OR UPDATE ON projects "
        "FOR EACH ROW EXECUTE FUNCTION projects_read_json()"
    )
    # The backfill: an update that changes nothing else, for the trigger to write each row's JSON.
    op.execute("UPDATE projects SET read_json = NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER projects_read_json ON projects")
        op.execute("DROP FUNCTION projects_read_json()")
    # SQLite (3.35 on) drops a column in place; a batch copy of the table would break its foreign keys.
    op.drop_column("projects", "read_json")

"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 21:19:57.401504
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.db import UTCDateTime
from services.common.outbox import create_outbox_tables_op, drop_outbox_tables_op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_outbox_tables_op()
    op.create_table(
        "assessments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("district", sa.String(length=12), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("trigger", sa.String(length=24), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("facts_as_of", sa.Date(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("funding_unknown", sa.Boolean(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("contributions", sa.JSON(), nullable=False),
        sa.Column("reason_codes", sa.JSON(), nullable=False),
        sa.Column("rules_fired", sa.JSON(), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("thresholds_version", sa.String(length=64), nullable=False),
        sa.Column("computed_tier", sa.String(length=8), nullable=False),
        sa.Column("hysteresis_tier", sa.String(length=8), nullable=False),
        sa.Column("lower_streak", sa.Integer(), nullable=False),
        sa.Column("override_id", sa.String(length=36), nullable=True),
        sa.Column("tier", sa.String(length=8), nullable=False),
        sa.Column("previous_tier", sa.String(length=8), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
        sa.UniqueConstraint("project_id", "number", name=op.f("uq_assessments_project_id_number")),
    )
    op.create_table(
        "project_risk_states",
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("district", sa.String(length=12), nullable=False),
        sa.Column("assessments", sa.Integer(), nullable=False),
        sa.Column("last_assessment_id", sa.String(length=36), nullable=True),
        sa.Column("hysteresis_tier", sa.String(length=8), nullable=True),
        sa.Column("lower_streak", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=8), nullable=True),
        sa.Column("funding_unknown", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_project_risk_states")),
    )
    with op.batch_alter_table("project_risk_states", schema=None) as batch_op:
        batch_op.create_index(
            "ix_project_risk_states_funding_unknown_project_id", ["funding_unknown", "project_id"], unique=False
        )

    op.create_table(
        "pending_reassessments",
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_pending_reassessments")),
    )
    with op.batch_alter_table("pending_reassessments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_reassessments_requested_at"), ["requested_at"], unique=False)

    op.create_table(
        "overrides",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("tier", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("ended_by", sa.String(length=200), nullable=True),
        sa.Column("end_reason", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_overrides")),
    )
    with op.batch_alter_table("overrides", schema=None) as batch_op:
        batch_op.create_index("ix_overrides_project_id_ended_at", ["project_id", "ended_at"], unique=False)

    op.create_table(
        "override_audit",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("actor_role", sa.String(length=24), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("override_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("tier_before", sa.String(length=8), nullable=True),
        sa.Column("tier_after", sa.String(length=8), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_override_audit")),
    )
    with op.batch_alter_table("override_audit", schema=None) as batch_op:
        batch_op.create_index("ix_override_audit_at_id", ["at", "id"], unique=False)
        batch_op.create_index("ix_override_audit_project_id_at", ["project_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("override_audit", schema=None) as batch_op:
        batch_op.drop_index("ix_override_audit_project_id_at")
        batch_op.drop_index("ix_override_audit_at_id")

    op.drop_table("override_audit")
    with op.batch_alter_table("overrides", schema=None) as batch_op:
        batch_op.drop_index("ix_overrides_project_id_ended_at")

    op.drop_table("overrides")
    with op.batch_alter_table("pending_reassessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_reassessments_requested_at"))

    op.drop_table("pending_reassessments")
    with op.batch_alter_table("project_risk_states", schema=None) as batch_op:
        batch_op.drop_index("ix_project_risk_states_funding_unknown_project_id")

    op.drop_table("project_risk_states")
    op.drop_table("assessments")
    drop_outbox_tables_op()

"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 21:34:53.114492
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.db import UTCDateTime
from services.common.money import DecimalColumn
from services.common.outbox import create_outbox_tables_op, drop_outbox_tables_op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_outbox_tables_op()
    op.create_table(
        "banks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_banks")),
        sa.UniqueConstraint("code", name=op.f("uq_banks_code")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("owner", sa.String(length=240), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("location", sa.String(length=512), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("owner", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "project_risk_tiers",
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("tier", sa.String(length=8), nullable=False),
        sa.Column("risk_sequence", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_project_risk_tiers")),
    )
    op.create_table(
        "whitelist_entries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("project_code", sa.String(length=64), nullable=False),
        sa.Column("project_name", sa.String(length=200), nullable=False),
        sa.Column("district", sa.String(length=12), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("requested_amount", DecimalColumn(precision=18, scale=2), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("removal_reason", sa.String(length=40), nullable=True),
        sa.Column("nominated_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whitelist_entries")),
    )
    with op.batch_alter_table("whitelist_entries", schema=None) as batch_op:
        batch_op.create_index("ix_whitelist_entries_created_at_id", ["created_at", "id"], unique=False)
        batch_op.create_index("ix_whitelist_entries_district_created_at", ["district", "created_at"], unique=False)
        batch_op.create_index(
            "uq_whitelist_entries_live_project_id",
            ["project_id"],
            unique=True,
            postgresql_where=sa.text("status <> 'removed'"),
            sqlite_where=sa.text("status <> 'removed'"),
        )

    op.create_table(
        "bank_decisions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("district", sa.String(length=12), nullable=False),
        sa.Column("bank", sa.String(length=32), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("credit_line_id", sa.String(length=36), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["bank"], ["banks.code"], name=op.f("fk_bank_decisions_bank_banks")),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["whitelist_entries.id"], name=op.f("fk_bank_decisions_entry_id_whitelist_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_decisions")),
        sa.UniqueConstraint("entry_id", "bank", name=op.f("uq_bank_decisions_entry_id_bank")),
    )
    with op.batch_alter_table("bank_decisions", schema=None) as batch_op:
        batch_op.create_index("ix_bank_decisions_bank_decided_at", ["bank", "decided_at"], unique=False)
        batch_op.create_index("ix_bank_decisions_decided_at_id", ["decided_at", "id"], unique=False)

    op.create_table(
        "credit_lines",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("district", sa.String(length=12), nullable=False),
        sa.Column("bank", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("approved_amount", DecimalColumn(precision=18, scale=2), nullable=False),
        sa.Column("disbursed_amount", DecimalColumn(precision=18, scale=2), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=False),
        sa.Column("maturity_date", sa.Date(), nullable=True),
        sa.Column("entry_id", sa.String(length=36), nullable=True),
        sa.Column("decision_id", sa.String(length=36), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "disbursed_amount >= 0 AND disbursed_amount <= approved_amount",
            name=op.f("ck_credit_lines_within_approved"),
        ),
        sa.ForeignKeyConstraint(["bank"], ["banks.code"], name=op.f("fk_credit_lines_bank_banks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_lines")),
    )
    with op.batch_alter_table("credit_lines", schema=None) as batch_op:
        batch_op.create_index("ix_credit_lines_approved_on", ["approved_on"], unique=False)
        batch_op.create_index("ix_credit_lines_bank_created_at", ["bank", "created_at"], unique=False)
        batch_op.create_index("ix_credit_lines_created_at_id", ["created_at", "id"], unique=False)
        batch_op.create_index("ix_credit_lines_project_id_bank", ["project_id", "bank"], unique=False)

    op.create_table(
        "event_audience",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("bank", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["outbox_events.id"], name=op.f("fk_event_audience_event_id_outbox_events")
        ),
        sa.PrimaryKeyConstraint("event_id", "bank", name=op.f("pk_event_audience")),
    )
    with op.batch_alter_table("event_audience", schema=None) as batch_op:
        batch_op.create_index(
            "ix_event_audience_bank_created_at_event_id", ["bank", "created_at", "event_id"], unique=False
        )

    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("bank", sa.String(length=32), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.String(length=24), nullable=True),
        sa.Column("disabled_at", UTCDateTime(), nullable=True),
        sa.Column("failing_since", UTCDateTime(), nullable=True),
        sa.Column("rate_limit_per_second", sa.Integer(), nullable=True),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("previous_secret", sa.String(length=128), nullable=True),
        sa.Column("previous_secret_expires_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["bank"], ["banks.code"], name=op.f("fk_webhook_endpoints_bank_banks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_endpoints_bank_created_at", ["bank", "created_at"], unique=False)

    op.create_table(
        "whitelist_pushes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("district", sa.String(length=12), nullable=False),
        sa.Column("bank", sa.String(length=32), nullable=False),
        sa.Column("pushed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["bank"], ["banks.code"], name=op.f("fk_whitelist_pushes_bank_banks")),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["whitelist_entries.id"], name=op.f("fk_whitelist_pushes_entry_id_whitelist_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whitelist_pushes")),
        sa.UniqueConstraint("entry_id", "bank", name=op.f("uq_whitelist_pushes_entry_id_bank")),
    )
    with op.batch_alter_table("whitelist_pushes", schema=None) as batch_op:
        batch_op.create_index("ix_whitelist_pushes_bank_entry_id", ["bank", "entry_id"], unique=False)
        batch_op.create_index("ix_whitelist_pushes_project_id_bank", ["project_id", "bank"], unique=False)
        batch_op.create_index("ix_whitelist_pushes_pushed_at", ["pushed_at"], unique=False)

    op.create_table(
        "whitelist_transitions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=True),
        sa.Column("from_status", sa.String(length=24), nullable=True),
        sa.Column("to_status", sa.String(length=24), nullable=False),
        sa.Column("banks", sa.JSON(), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("actor_role", sa.String(length=24), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["whitelist_entries.id"], name=op.f("fk_whitelist_transitions_entry_id_whitelist_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whitelist_transitions")),
    )
    with op.batch_alter_table("whitelist_transitions", schema=None) as batch_op:
        batch_op.create_index("ix_whitelist_transitions_entry_id_at", ["entry_id", "at"], unique=False)

    op.create_table(
        "disbursements",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("credit_line_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("district", sa.String(length=12), nullable=False),
        sa.Column("bank", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("amount", DecimalColumn(precision=18, scale=2), nullable=False),
        sa.Column("disbursed_on", sa.Date(), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reversal_reason", sa.String(length=500), nullable=True),
        sa.Column("reversed_at", UTCDateTime(), nullable=True),
        sa.Column("reversed_by", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["credit_line_id"], ["credit_lines.id"], name=op.f("fk_disbursements_credit_line_id_credit_lines")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disbursements")),
    )
    with op.batch_alter_table("disbursements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_disbursements_credit_line_id_created_at", ["credit_line_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_disbursements_disbursed_on", ["disbursed_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("disbursements", schema=None) as batch_op:
        batch_op.drop_index("ix_disbursements_disbursed_on")
        batch_op.drop_index("ix_disbursements_credit_line_id_created_at")

    op.drop_table("disbursements")
    with op.batch_alter_table("whitelist_transitions", schema=None) as batch_op:
        batch_op.drop_index("ix_whitelist_transitions_entry_id_at")

    op.drop_table("whitelist_transitions")
    with op.batch_alter_table("whitelist_pushes", schema=None) as batch_op:
        batch_op.drop_index("ix_whitelist_pushes_pushed_at")
        batch_op.drop_index("ix_whitelist_pushes_project_id_bank")
        batch_op.drop_index("ix_whitelist_pushes_bank_entry_id")

    op.drop_table("whitelist_pushes")
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_endpoints_bank_created_at")

    op.drop_table("webhook_endpoints")
    with op.batch_alter_table("event_audience", schema=None) as batch_op:
        batch_op.drop_index("ix_event_audience_bank_created_at_event_id")

    op.drop_table("event_audience")
    with op.batch_alter_table("credit_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_lines_project_id_bank")
        batch_op.drop_index("ix_credit_lines_created_at_id")
        batch_op.drop_index("ix_credit_lines_bank_created_at")
        batch_op.drop_index("ix_credit_lines_approved_on")

    op.drop_table("credit_lines")
    with op.batch_alter_table("bank_decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_bank_decisions_decided_at_id")
        batch_op.drop_index("ix_bank_decisions_bank_decided_at")

    op.drop_table("bank_decisions")
    with op.batch_alter_table("whitelist_entries", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_whitelist_entries_live_project_id",
            postgresql_where=sa.text("status <> 'removed'"),
            sqlite_where=sa.text("status <> 'removed'"),
        )
        batch_op.drop_index("ix_whitelist_entries_district_created_at")
        batch_op.drop_index("ix_whitelist_entries_created_at_id")

    op.drop_table("whitelist_entries")
    op.drop_table("project_risk_tiers")
    op.drop_table("idempotency_keys")
    op.drop_table("banks")
    drop_outbox_tables_op()

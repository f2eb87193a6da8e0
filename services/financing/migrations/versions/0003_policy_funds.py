"""Policy funds (programs, yearly targets, allocations, payments, refused payments) and the audit log

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.db import UTCDateTime
from services.common.money import DecimalColumn

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("actor_role", sa.String(length=24), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_at_id", ["at", "id"], unique=False)
        batch_op.create_index("ix_audit_log_entity_id_at", ["entity_id", "at"], unique=False)
        batch_op.create_index("ix_audit_log_project_id_at", ["project_id", "at"], unique=False)

    op.create_table(
        "fund_targets",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("amount_sought", DecimalColumn(precision=18, scale=2), nullable=False),
        sa.Column("projects_to_support", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_fund_targets")),
    )
    op.create_table(
        "fund_programs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("granted_amount", DecimalColumn(precision=18, scale=2), nullable=False),
        sa.Column("allocated_amount", DecimalColumn(precision=18, scale=2), nullable=False),
        sa.Column("granted_on", sa.Date(), nullable=False),
        sa.Column("cutover_date", sa.Date(), nullable=False),
        sa.Column("eligible_uses", sa.JSON(), nullable=False),
        sa.Column("paying_bank", sa.String(length=32), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "allocated_amount >= 0 AND allocated_amount <= granted_amount",
            name=op.f("ck_fund_programs_allocated_within_granted"),
        ),
        sa.ForeignKeyConstraint(["paying_bank"], ["banks.code"], name=op.f("fk_fund_programs_paying_bank_banks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_programs")),
        sa.UniqueConstraint("year", "name", name=op.f("uq_fund_programs_year_name")),
    )
    with op.batch_alter_table("fund_programs", schema=None) as batch_op:
        batch_op.create_index("ix_fund_programs_created_at_id", ["created_at", "id"], unique=False)
        batch_op.create_index("ix_fund_programs_paying_bank", ["paying_bank"], unique=False)

    op.create_table(
        "fund_allocations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("program_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("project_code", sa.String(length=64), nullable=False),
        sa.Column("project_name", sa.String(length=200), nullable=False),
        sa.Column("district", sa.String(length=12), nullable=False),
        sa.Column("amount", DecimalColumn(precision=18, scale=2), nullable=False),
        sa.Column("paid_amount", DecimalColumn(precision=18, scale=2), nullable=False),
        sa.Column("allocated_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "paid_amount >= 0 AND paid_amount <= amount", name=op.f("ck_fund_allocations_paid_within_amount")
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["fund_programs.id"], name=op.f("fk_fund_allocations_program_id_fund_programs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_allocations")),
    )
    with op.batch_alter_table("fund_allocations", schema=None) as batch_op:
        batch_op.create_index("ix_fund_allocations_district_allocated_on", ["district", "allocated_on"], unique=False)
        batch_op.create_index("ix_fund_allocations_program_id_created_at", ["program_id", "created_at"], unique=False)
        batch_op.create_index("ix_fund_allocations_project_id", ["project_id"], unique=False)

    op.create_table(
        "fund_payment_refusals",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("allocation_id", sa.String(length=36), nullable=False),
        sa.Column("program_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("district", sa.String(length=12), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("amount", DecimalColumn(precision=18, scale=2), nullable=False),
        sa.Column("use", sa.String(length=24), nullable=False),
        sa.Column("liability_incurred_on", sa.Date(), nullable=False),
        sa.Column("attempted_by", sa.String(length=200), nullable=False),
        sa.Column("attempted_at", UTCDateTime(), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["fund_allocations.id"],
            name=op.f("fk_fund_payment_refusals_allocation_id_fund_allocations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_payment_refusals")),
    )
    with op.batch_alter_table("fund_payment_refusals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_fund_payment_refusals_program_id_attempted_at", ["program_id", "attempted_at"], unique=False
        )

    op.create_table(
        "fund_payments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("allocation_id", sa.String(length=36), nullable=False),
        sa.Column("program_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("district", sa.String(length=12), nullable=False),
        sa.Column("amount", DecimalColumn(precision=18, scale=2), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("use", sa.String(length=24), nullable=False),
        sa.Column("payee_name", sa.String(length=200), nullable=False),
        sa.Column("payee_credit_code", sa.String(length=18), nullable=False),
        sa.Column("liability_incurred_on", sa.Date(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reversal_reason", sa.String(length=500), nullable=True),
        sa.Column("reversed_at", UTCDateTime(), nullable=True),
        sa.Column("reversed_by", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["allocation_id"], ["fund_allocations.id"], name=op.f("fk_fund_payments_allocation_id_fund_allocations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_payments")),
    )
    with op.batch_alter_table("fund_payments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_fund_payments_allocation_id_created_at", ["allocation_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_fund_payments_program_id_paid_on", ["program_id", "paid_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fund_payments", schema=None) as batch_op:
        batch_op.drop_index("ix_fund_payments_program_id_paid_on")
        batch_op.drop_index("ix_fund_payments_allocation_id_created_at")

    op.drop_table("fund_payments")
    with op.batch_alter_table("fund_payment_refusals", schema=None) as batch_op:
        batch_op.drop_index("ix_fund_payment_refusals_program_id_attempted_at")

    op.drop_table("fund_payment_refusals")
    with op.batch_alter_table("fund_allocations", schema=None) as batch_op:
        batch_op.drop_index("ix_fund_allocations_project_id")
        batch_op.drop_index("ix_fund_allocations_program_id_created_at")
        batch_op.drop_index("ix_fund_allocations_district_allocated_on")

    op.drop_table("fund_allocations")
    with op.batch_alter_table("fund_programs", schema=None) as batch_op:
        batch_op.drop_index("ix_fund_programs_paying_bank")
        batch_op.drop_index("ix_fund_programs_created_at_id")

    op.drop_table("fund_programs")
    op.drop_table("fund_targets")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_project_id_at")
        batch_op.drop_index("ix_audit_log_entity_id_at")
        batch_op.drop_index("ix_audit_log_at_id")

    op.drop_table("audit_log")

"""The financing service's tables."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common import clock
from services.common.db import UTCDateTime, new_id, new_metadata
from services.common.money import MoneyColumn
from services.common.outbox import outbox_tables


class Base(DeclarativeBase):
    metadata = new_metadata()


OUTBOX = outbox_tables(Base.metadata)


class Bank(Base):
    __tablename__ = "banks"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class WhitelistEntry(Base):
    """A project's way through the whitelist: nominated, pre-reviewed, listed, pushed to banks, or removed."""

    __tablename__ = "whitelist_entries"
    __table_args__ = (
        # One live entry per project; a removed entry does not stop a new nomination.
        sa.Index(
            "uq_whitelist_entries_live_project_id",
            "project_id",
            unique=True,
            postgresql_where=sa.text("status <> 'removed'"),
            sqlite_where=sa.text("status <> 'removed'"),
        ),
        sa.Index("ix_whitelist_entries_created_at_id", "created_at", "id"),
        sa.Index("ix_whitelist_entries_district_created_at", "district", "created_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(sa.String(36))
    project_code: Mapped[str] = mapped_column(sa.String(64))
    project_name: Mapped[str] = mapped_column(sa.String(200))
    district: Mapped[str] = mapped_column(sa.String(12))
    category: Mapped[str] = mapped_column(sa.String(32))
    requested_amount: Mapped[Decimal] = mapped_column(MoneyColumn())
    status: Mapped[str] = mapped_column(sa.String(24))
    note: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    removal_reason: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    nominated_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class WhitelistTransition(Base):
    """One step of an entry's lifecycle, who took it and why: the entry's history."""

    __tablename__ = "whitelist_transitions"
    __table_args__ = (sa.Index("ix_whitelist_transitions_entry_id_at", "entry_id", "at"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    entry_id: Mapped[str] = mapped_column(sa.ForeignKey("whitelist_entries.id"))
    action: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    from_status: Mapped[str | None] = mapped_column(sa.String(24), nullable=True)
    to_status: Mapped[str] = mapped_column(sa.String(24))
    banks: Mapped[list[str] | None] = mapped_column(sa.JSON, nullable=True)
    reason: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    note: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    actor: Mapped[str] = mapped_column(sa.String(200))
    actor_role: Mapped[str] = mapped_column(sa.String(24))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class WhitelistPush(Base):
    """An entry pushed to one bank: what makes the entry, and the project's events, visible to that bank."""

    __tablename__ = "whitelist_pushes"
    __table_args__ = (
        sa.UniqueConstraint("entry_id", "bank"),
        sa.Index("ix_whitelist_pushes_bank_entry_id", "bank", "entry_id"),
        sa.Index("ix_whitelist_pushes_project_id_bank", "project_id", "bank"),
        sa.Index("ix_whitelist_pushes_pushed_at", "pushed_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    entry_id: Mapped[str] = mapped_column(sa.ForeignKey("whitelist_entries.id"))
    project_id: Mapped[str] = mapped_column(sa.String(36))
    district: Mapped[str] = mapped_column(sa.String(12))
    bank: Mapped[str] = mapped_column(sa.ForeignKey("banks.code"))
    pushed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class BankDecision(Base):
    """A pushed bank's answer to an entry: approve (with the credit line it opened) or decline with a reason."""

    __tablename__ = "bank_decisions"
    __table_args__ = (
        sa.UniqueConstraint("entry_id", "bank"),
        sa.Index("ix_bank_decisions_decided_at_id", "decided_at", "id"),
        sa.Index("ix_bank_decisions_bank_decided_at", "bank", "decided_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    entry_id: Mapped[str] = mapped_column(sa.ForeignKey("whitelist_entries.id"))
    project_id: Mapped[str] = mapped_column(sa.String(36))
    district: Mapped[str] = mapped_column(sa.String(12))
    bank: Mapped[str] = mapped_column(sa.ForeignKey("banks.code"))
    decision: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    credit_line_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    decided_by: Mapped[str] = mapped_column(sa.String(200))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class CreditLine(Base):
    """A bank's credit (授信) to a project. ``disbursed_amount`` is kept here, under the row's lock."""

    __tablename__ = "credit_lines"
    __table_args__ = (
        sa.CheckConstraint("disbursed_amount >= 0 AND disbursed_amount <= approved_amount", name="within_approved"),
        sa.Index("ix_credit_lines_project_id_bank", "project_id", "bank"),
        sa.Index("ix_credit_lines_bank_created_at", "bank", "created_at"),
        sa.Index("ix_credit_lines_created_at_id", "created_at", "id"),
        sa.Index("ix_credit_lines_approved_on", "approved_on"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(sa.String(36))
    district: Mapped[str] = mapped_column(sa.String(12))
    bank: Mapped[str] = mapped_column(sa.ForeignKey("banks.code"))
    kind: Mapped[str] = mapped_column(sa.String(24))
    approved_amount: Mapped[Decimal] = mapped_column(MoneyColumn())
    disbursed_amount: Mapped[Decimal] = mapped_column(MoneyColumn(), default=Decimal("0"))
    approved_on: Mapped[date] = mapped_column(sa.Date)
    maturity_date: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    entry_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    decision_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class Disbursement(Base):
    """One tranche drawn (放款) on a credit line; a reversal keeps the row and marks it reversed."""

    __tablename__ = "disbursements"
    __table_args__ = (
        sa.Index("ix_disbursements_credit_line_id_created_at", "credit_line_id", "created_at"),
        sa.Index("ix_disbursements_disbursed_on", "disbursed_on"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    credit_line_id: Mapped[str] = mapped_column(sa.ForeignKey("credit_lines.id"))
    project_id: Mapped[str] = mapped_column(sa.String(36))
    district: Mapped[str] = mapped_column(sa.String(12))
    bank: Mapped[str] = mapped_column(sa.String(32))
    kind: Mapped[str] = mapped_column(sa.String(24))
    amount: Mapped[Decimal] = mapped_column(MoneyColumn())
    disbursed_on: Mapped[date] = mapped_column(sa.Date)
    purpose: Mapped[str] = mapped_column(sa.String(500))
    status: Mapped[str] = mapped_column(sa.String(16))
    reversal_reason: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reversed_by: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class IdempotencyKey(Base):
    """The first successful answer to a money-moving POST, replayed when the same key comes again."""

    __tablename__ = "idempotency_keys"

    owner: Mapped[str] = mapped_column(sa.String(240), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    status_code: Mapped[int] = mapped_column(sa.Integer)
    body: Mapped[str] = mapped_column(sa.Text)
    location: Mapped[str | None] = mapped_column(sa.String(512), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class WebhookEndpoint(Base):
    """A bank's webhook destination. Each secret a rotation retires keeps signing, beside the current one, until
    the expiry promised when it was retired: ``retired_secrets`` holds them as ``{"secret", "expires_at"}``."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (sa.Index("ix_webhook_endpoints_bank_created_at", "bank", "created_at"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    bank: Mapped[str] = mapped_column(sa.ForeignKey("banks.code"))
    url: Mapped[str] = mapped_column(sa.String(2048))
    description: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    event_types: Mapped[list[str]] = mapped_column(sa.JSON)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(24), nullable=True)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    rate_limit_per_second: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    secret: Mapped[str] = mapped_column(sa.String(128))
    retired_secrets: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class EventAudience(Base):
    """Which bank may see which event: the fan-out's decision, kept for the event feed and ``recover``."""

    __tablename__ = "event_audience"
    __table_args__ = (sa.Index("ix_event_audience_bank_created_at_event_id", "bank", "created_at", "event_id"),)

    event_id: Mapped[str] = mapped_column(sa.ForeignKey("outbox_events.id"), primary_key=True)
    bank: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProjectRiskTier(Base):
    """The latest risk tier heard of per project, so a stale ``project.risk_tier_changed`` is not forwarded."""

    __tablename__ = "project_risk_tiers"

    project_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    tier: Mapped[str] = mapped_column(sa.String(8))
    risk_sequence: Mapped[int] = mapped_column(sa.Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class FundProgram(Base):
    """A policy fund granted to the city (专项借款, 纾困资金); ``allocated_amount`` is kept here, under the row's
    lock."""

    __tablename__ = "fund_programs"
    __table_args__ = (
        sa.UniqueConstraint("year", "name"),
        sa.CheckConstraint(
            "allocated_amount >= 0 AND allocated_amount <= granted_amount", name="allocated_within_granted"
        ),
        sa.Index("ix_fund_programs_created_at_id", "created_at", "id"),
        sa.Index("ix_fund_programs_paying_bank", "paying_bank"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(sa.String(200))
    source: Mapped[str] = mapped_column(sa.String(24))
    year: Mapped[int] = mapped_column(sa.Integer)
    granted_amount: Mapped[Decimal] = mapped_column(MoneyColumn())
    allocated_amount: Mapped[Decimal] = mapped_column(MoneyColumn(), default=Decimal("0"))
    granted_on: Mapped[date] = mapped_column(sa.Date)
    cutover_date: Mapped[date] = mapped_column(sa.Date)
    eligible_uses: Mapped[list[str]] = mapped_column(sa.JSON)
    paying_bank: Mapped[str | None] = mapped_column(sa.ForeignKey("banks.code"), nullable=True)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class FundTarget(Base):
    """The city's target for a year: how much policy money to seek and how many projects to support."""

    __tablename__ = "fund_targets"

    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    amount_sought: Mapped[Decimal] = mapped_column(MoneyColumn())
    projects_to_support: Mapped[int] = mapped_column(sa.Integer)
    updated_by: Mapped[str] = mapped_column(sa.String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class FundAllocation(Base):
    """Part of a program given to one project. ``paid_amount`` is kept here, under the row's lock."""

    __tablename__ = "fund_allocations"
    __table_args__ = (
        sa.CheckConstraint("paid_amount >= 0 AND paid_amount <= amount", name="paid_within_amount"),
        sa.Index("ix_fund_allocations_program_id_created_at", "program_id", "created_at"),
        sa.Index("ix_fund_allocations_project_id", "project_id"),
        sa.Index("ix_fund_allocations_district_allocated_on", "district", "allocated_on"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    program_id: Mapped[str] = mapped_column(sa.ForeignKey("fund_programs.id"))
    project_id: Mapped[str] = mapped_column(sa.String(36))
    project_code: Mapped[str] = mapped_column(sa.String(64))
    project_name: Mapped[str] = mapped_column(sa.String(200))
    district: Mapped[str] = mapped_column(sa.String(12))
    amount: Mapped[Decimal] = mapped_column(MoneyColumn())
    paid_amount: Mapped[Decimal] = mapped_column(MoneyColumn(), default=Decimal("0"))
    allocated_on: Mapped[date] = mapped_column(sa.Date)
    note: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class FundPayment(Base):
    """One payment out of an allocation, with its payee and evidence; a reversal keeps the row, marked."""

    __tablename__ = "fund_payments"
    __table_args__ = (
        sa.Index("ix_fund_payments_allocation_id_created_at", "allocation_id", "created_at"),
        sa.Index("ix_fund_payments_program_id_paid_on", "program_id", "paid_on"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    allocation_id: Mapped[str] = mapped_column(sa.ForeignKey("fund_allocations.id"))
    program_id: Mapped[str] = mapped_column(sa.String(36))
    project_id: Mapped[str] = mapped_column(sa.String(36))
    district: Mapped[str] = mapped_column(sa.String(12))
    amount: Mapped[Decimal] = mapped_column(MoneyColumn())
    paid_on: Mapped[date] = mapped_column(sa.Date)
    use: Mapped[str] = mapped_column(sa.String(24))
    payee_name: Mapped[str] = mapped_column(sa.String(200))
    payee_credit_code: Mapped[str] = mapped_column(sa.String(18))
    liability_incurred_on: Mapped[date] = mapped_column(sa.Date)
    evidence: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON)
    description: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    reversal_reason: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reversed_by: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class FundPaymentRefusal(Base):
    """A payment refused by a rule of the funds (专款专用, 新老划断, the allocation's limit): kept for the report
    though the payment itself was not."""

    __tablename__ = "fund_payment_refusals"
    __table_args__ = (sa.Index("ix_fund_payment_refusals_program_id_attempted_at", "program_id", "attempted_at"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    allocation_id: Mapped[str] = mapped_column(sa.ForeignKey("fund_allocations.id"))
    program_id: Mapped[str] = mapped_column(sa.String(36))
    project_id: Mapped[str] = mapped_column(sa.String(36))
    district: Mapped[str] = mapped_column(sa.String(12))
    rule: Mapped[str] = mapped_column(sa.String(32))
    amount: Mapped[Decimal] = mapped_column(MoneyColumn())
    use: Mapped[str] = mapped_column(sa.String(24))
    liability_incurred_on: Mapped[date] = mapped_column(sa.Date)
    attempted_by: Mapped[str] = mapped_column(sa.String(200))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    request_id: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)


class AuditEntry(Base):
    """Who changed what in financing, when, with the state before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (
        sa.Index("ix_audit_log_entity_id_at", "entity_id", "at"),
        sa.Index("ix_audit_log_project_id_at", "project_id", "at"),
        sa.Index("ix_audit_log_at_id", "at", "id"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    actor: Mapped[str] = mapped_column(sa.String(200))
    actor_role: Mapped[str] = mapped_column(sa.String(24))
    entity: Mapped[str] = mapped_column(sa.String(32))
    entity_id: Mapped[str] = mapped_column(sa.String(36))
    project_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    action: Mapped[str] = mapped_column(sa.String(32))
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    request_id: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)

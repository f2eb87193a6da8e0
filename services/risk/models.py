"""The risk service's tables: assessments (append-only), each project's tier state, overrides and their audit."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common import clock
from services.common.db import UTCDateTime, new_id, new_metadata
from services.common.outbox import outbox_tables


class Base(DeclarativeBase):
    metadata = new_metadata()


OUTBOX = outbox_tables(Base.metadata)


class Assessment(Base):
    """One scoring of one project, never changed afterwards: its inputs, its outputs and the tier it published."""

    __tablename__ = "assessments"
    __table_args__ = (sa.UniqueConstraint("project_id", "number"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(sa.String(36))
    # 1, 2, 3... per project: orders the history and pages it.
    number: Mapped[int] = mapped_column(sa.Integer)
    district: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    trigger: Mapped[str] = mapped_column(sa.String(24))
    request_id: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)
    facts_as_of: Mapped[date] = mapped_column(sa.Date)
    # The feature values scored (money as decimal strings) and the facts they were computed from.
    features: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    facts: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    funding_unknown: Mapped[bool] = mapped_column(sa.Boolean)
    probability: Mapped[float] = mapped_column(sa.Float)
    score: Mapped[int] = mapped_column(sa.Integer)
    contributions: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    reason_codes: Mapped[list[str]] = mapped_column(sa.JSON)
    rules_fired: Mapped[list[str]] = mapped_column(sa.JSON)
    model_version: Mapped[str] = mapped_column(sa.String(64))
    thresholds_version: Mapped[str] = mapped_column(sa.String(64))
    computed_tier: Mapped[str] = mapped_column(sa.String(8))
    hysteresis_tier: Mapped[str] = mapped_column(sa.String(8))
    lower_streak: Mapped[int] = mapped_column(sa.Integer)
    override_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    tier: Mapped[str] = mapped_column(sa.String(8))
    previous_tier: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)


class ProjectRiskState(Base):
    """Where each assessed project stands: what hysteresis carries from one assessment to the next."""

    __tablename__ = "project_risk_states"
    __table_args__ = (sa.Index("ix_project_risk_states_funding_unknown_project_id", "funding_unknown", "project_id"),)

    project_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    district: Mapped[str] = mapped_column(sa.String(12))
    assessments: Mapped[int] = mapped_column(sa.Integer)
    last_assessment_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    # The tier after hysteresis (what the model says, smoothed), and the tier last published (after override).
    hysteresis_tier: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)
    lower_streak: Mapped[int] = mapped_column(sa.Integer)
    tier: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)
    funding_unknown: Mapped[bool] = mapped_column(sa.Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class PendingReassessment(Base):
    """A project whose facts changed and that awaits reassessment (written by the inbox, read by the worker)."""

    __tablename__ = "pending_reassessments"

    project_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    request_id: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)


class Override(Base):
    """A city admin's manual tier for a project, with a reason, until it expires or is lifted."""

    __tablename__ = "overrides"
    __table_args__ = (sa.Index("ix_overrides_project_id_ended_at", "project_id", "ended_at"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(sa.String(36))
    tier: Mapped[str] = mapped_column(sa.String(8))
    reason: Mapped[str] = mapped_column(sa.Text)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when the override stops applying: lifted, replaced by another, or found expired by an assessment.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_by: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    end_reason: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)


class OverrideAudit(Base):
    """Who set, replaced, lifted or let expire which override, when, with the tiers before and after."""

    __tablename__ = "override_audit"
    __table_args__ = (
        sa.Index("ix_override_audit_project_id_at", "project_id", "at"),
        sa.Index("ix_override_audit_at_id", "at", "id"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    actor: Mapped[str] = mapped_column(sa.String(200))
    actor_role: Mapped[str] = mapped_column(sa.String(24))
    action: Mapped[str] = mapped_column(sa.String(16))
    project_id: Mapped[str] = mapped_column(sa.String(36))
    override_id: Mapped[str] = mapped_column(sa.String(36))
    reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    tier_before: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)
    tier_after: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)
    request_id: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)

"""The report's figures, grouped by the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.money import money_sum
from services.financing.disbursements.schemas import DisbursementStatus
from services.financing.models import BankDecision, CreditLine, Disbursement, WhitelistPush


@dataclass(frozen=True)
class Period:
    """A month: its days (for dated rows) and its instants in the city's time zone (for timestamped rows)."""

    start: date
    end: date
    starts_at: datetime
    ends_before: datetime
    district: str | None
    bank: str | None


def _scoped(stmt: sa.Select[Any], model: Any, period: Period) -> sa.Select[Any]:
    if period.district is not None:
        stmt = stmt.where(model.district == period.district)
    if period.bank is not None:
        stmt = stmt.where(model.bank == period.bank)
    return stmt


def _keys(model: Any, by_bank: bool, *extra: Any) -> list[Any]:
    return [model.district, model.bank, *extra] if by_bank else list(extra)


async def pushed(session: AsyncSession, period: Period, *, by_bank: bool = True) -> list[Any]:
    """(district, bank,) projects pushed."""
    keys = _keys(WhitelistPush, by_bank)
    stmt = sa.select(*keys, sa.func.count(sa.distinct(WhitelistPush.project_id))).where(
        WhitelistPush.pushed_at >= period.starts_at, WhitelistPush.pushed_at < period.ends_before
    )
    return list((await session.execute(_scoped(stmt, WhitelistPush, period).group_by(*keys))).all())


async def decided(session: AsyncSession, period: Period, *, by_bank: bool = True) -> list[Any]:
    """(district, bank,) decision, projects."""
    keys = _keys(BankDecision, by_bank, BankDecision.decision)
    stmt = sa.select(*keys, sa.func.count(sa.distinct(BankDecision.project_id))).where(
        BankDecision.decided_at >= period.starts_at, BankDecision.decided_at < period.ends_before
    )
    return list((await session.execute(_scoped(stmt, BankDecision, period).group_by(*keys))).all())


async def approved_credit(session: AsyncSession, period: Period, *, by_bank: bool = True) -> list[Any]:
    """(district, bank,) kind, lines, amount approved."""
    keys = _keys(CreditLine, by_bank, CreditLine.kind)
    stmt = sa.select(*keys, sa.func.count(), money_sum(CreditLine.approved_amount)).where(
        CreditLine.approved_on >= period.start, CreditLine.approved_on <= period.end
    )
    return list((await session.execute(_scoped(stmt, CreditLine, period).group_by(*keys))).all())


async def disbursed(session: AsyncSession, period: Period, *, by_bank: bool = True) -> list[Any]:
    """(district, bank,) kind, amount disbursed and not reversed."""
    keys = _keys(Disbursement, by_bank, Disbursement.kind)
    stmt = sa.select(*keys, money_sum(Disbursement.amount)).where(
        Disbursement.disbursed_on >= period.start,
        Disbursement.disbursed_on <= period.end,
        Disbursement.status == DisbursementStatus.recorded,
    )
    return list((await session.execute(_scoped(stmt, Disbursement, period).group_by(*keys))).all())

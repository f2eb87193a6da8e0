"""The funding positions, summed by the database in one grouped query."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.money import money_sum
from services.financing.models import CreditLine


async def positions(session: AsyncSession, project_ids: Sequence[str] | None, today: date) -> list[Any]:
    """(project_id, approved, disbursed, undrawn, lines) per project with a line; every project when None."""
    open_line = sa.or_(CreditLine.maturity_date.is_(None), CreditLine.maturity_date >= today)
    undrawn = sa.case((open_line, CreditLine.approved_amount - CreditLine.disbursed_amount), else_=0)
    stmt = sa.select(
        CreditLine.project_id,
        money_sum(CreditLine.approved_amount).label("approved_amount"),
        money_sum(CreditLine.disbursed_amount).label("disbursed_amount"),
        money_sum(undrawn).label("undrawn_amount"),
        sa.func.count().label("credit_lines"),
    ).group_by(CreditLine.project_id)
    if project_ids is not None:
        stmt = stmt.where(CreditLine.project_id.in_(list(project_ids)))
    return list((await session.execute(stmt.order_by(CreditLine.project_id))).all())

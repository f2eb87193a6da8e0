"""Yearly targets: set by a city admin, read against the programs granted for the year."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.auth import Principal
from services.common.money import format_money
from services.financing.audit import service as audit
from services.financing.audit.schemas import AuditAction, AuditEntity
from services.financing.funds.targets import repository
from services.financing.funds.targets.schemas import TargetRead, TargetUpdate
from services.financing.models import FundTarget


async def read(session: AsyncSession, year: int, as_of: date) -> TargetRead:
    """The year's target, if one is set, and the actual figures of its programs as of ``as_of``."""
    target = await repository.get(session, year)
    actual = await repository.actual(session, year, as_of)
    return TargetRead(
        year=year,
        amount_sought=target.amount_sought if target else None,
        projects_to_support=target.projects_to_support if target else None,
        programs=actual.programs,
        amount_granted=actual.granted,
        amount_allocated=actual.allocated,
        amount_paid=actual.paid,
        projects_supported=actual.projects,
        updated_at=target.updated_at if target else None,
    )


def _figures(target: FundTarget) -> dict[str, str | int]:
    return {"amount_sought": format_money(target.amount_sought), "projects_to_support": target.projects_to_support}


async def put(session: AsyncSession, principal: Principal, year: int, data: TargetUpdate) -> None:
    """Set the year's target, audited with the figures before and after (a repeat changes nothing)."""
    target = await repository.get(session, year)
    before = _figures(target) if target else None
    if target is None:
        target = FundTarget(year=year)
        session.add(target)
    elif (target.amount_sought, target.projects_to_support) == (data.amount_sought, data.projects_to_support):
        return
    target.amount_sought = data.amount_sought
    target.projects_to_support = data.projects_to_support
    target.updated_by = principal.sub
    target.updated_at = clock.now()
    await session.flush()
    audit.record(
        session,
        principal,
        entity=AuditEntity.fund_target,
        entity_id=str(year),
        action=AuditAction.created if before is None else AuditAction.updated,
        before=before,
        after=_figures(target),
    )

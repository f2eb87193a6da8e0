"""Bulk risk facts: a handful of grouped queries joined in memory, so 50,000 projects cost five round trips."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.money import format_money
from services.registry.projects.status import REPORTABLE, ProjectStatus
from services.registry.riskfacts import repository
from services.registry.riskfacts.schemas import RiskFactsQuery

ZERO = Decimal("0.0")
# A project handed over, closed or terminated (disposed of) is no longer overdue to its buyers.
_DONE = frozenset({ProjectStatus.delivered.value, ProjectStatus.closed.value, ProjectStatus.terminated.value})
# Only a project still being built can lag behind its plan's milestones.
_BUILDING = frozenset(status.value for status in REPORTABLE)


async def query(session: AsyncSession, data: RiskFactsQuery, district: str | None) -> dict[str, Any]:
    """The facts of the asked-for projects within ``district`` (None: all), as JSON-ready data.

    ``as_of`` moves the clock, not the ledger: stalls, disputes and due milestones are read as they stood on
    that day, while progress, costs and status are the project's current ones.
    """
    as_of = data.as_of or clock.today()
    where = repository.project_filter(session, None if data.all else data.project_ids, district)
    rows = await repository.projects(session, where)
    stalls = await repository.open_stalls(session, where, as_of)
    planned = await repository.planned_progress(session, where, as_of)
    disputes = await repository.dispute_counts(session, where, as_of)
    outcomes = await repository.outcomes(session, where) if data.with_outcomes else {}
    items = []
    for row in rows:
        stall_start = stalls.get(row.id)
        lag = max(planned.get(row.id, ZERO) - row.progress_pct, ZERO) if row.status in _BUILDING else ZERO
        d30, d90, group = disputes.get(row.id, (0, 0, 0))
        overdue = 0 if row.status in _DONE else max((as_of - row.contract_delivery_date).days, 0)
        outcome = outcomes.get(row.id)
        items.append(
            {
                "project_id": row.id,
                "code": row.code,
                "name": row.name,
                "district": row.district,
                "status": row.status,
                "contract_delivery_date": row.contract_delivery_date.isoformat(),
                "sold_units": row.sold_units,
                "delivered_units": row.delivered_units,
                "facts": {
                    "stall_days": (as_of - stall_start).days if stall_start else 0,
                    "progress_lag_pct": f"{lag:.1f}",
                    "disputes_30d": d30,
                    "disputes_90d": d90,
                    "group_incidents_90d": group,
                    "overdue_days": overdue,
                    "remaining_cost": format_money(row.remaining_cost),
                    "own_funds_available": format_money(row.own_funds_available),
                },
                "outcome": (
                    {"kind": outcome[0], "delivered_on": outcome[1].isoformat() if outcome[1] else None}
                    if outcome
                    else None
                ),
            }
        )
    return {"as_of": as_of.isoformat(), "items": items}

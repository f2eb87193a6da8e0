"""The approvals figures of the weekly and monthly reports, by district and item.

Working days used are counted on the calendar in effect when the report is read, like every other clock.
`open_overdue` and `suspended` describe the cases as they are when the report is read (the registry keeps
no history of clocks), whatever month is asked for.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.approvals import repository
from services.registry.approvals.deadlines import derive
from services.registry.approvals.schemas import ApprovalItem, ClockState
from services.registry.approvals.service import Rules
from services.registry.approvals.status import RUNNING, ApprovalState
from services.registry.calendar.service import DayReader

_TENTH = Decimal("0.1")


def mean(values: Sequence[int]) -> Decimal | None:
    """The average to one decimal place (half up); None for no values."""
    if not values:
        return None
    return (Decimal(sum(values)) / Decimal(len(values))).quantize(_TENTH, rounding=ROUND_HALF_UP)


def percentile_90(values: Sequence[int]) -> int | None:
    """The 90th percentile by the nearest-rank method: the smallest value at least 90% of values do not pass."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def share_pct(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(_TENTH, rounding=ROUND_HALF_UP)


Key = tuple[str, str]


async def monthly_figures(
    session: AsyncSession, rules: Rules, start: date, end: date, district: str | None
) -> dict[Key, dict[str, object]]:
    """By ``(district, item)``: cases decided in ``[start, end]``, their average and 90th percentile working days
    used, the share decided within their limit, and the cases overdue and suspended now."""
    day = await DayReader.open(session)
    used: dict[Key, list[int]] = defaultdict(list)
    within: dict[Key, int] = defaultdict(int)
    overdue: dict[Key, int] = defaultdict(int)
    suspended: dict[Key, int] = defaultdict(int)
    open_states = frozenset({*(s.value for s in RUNNING), ApprovalState.suspended.value})
    rows, pauses = await repository.report_clocks(session, start, end, open_states, district)
    for case in rows:
        key = (case.district, case.item)
        if case.decided_on is not None and start <= case.decided_on <= end:
            own = derive(day.calendar, case, pauses.get(case.id, ()), day.today, rules.due_soon_working_days)
            used[key].append(own.working_days_used)
            within[key] += bool(own.within_limit)
        if case.state == ApprovalState.suspended.value:
            suspended[key] += 1
        elif case.state in open_states:
            own = derive(day.calendar, case, pauses.get(case.id, ()), day.today, rules.due_soon_working_days)
            if own.clock is ClockState.overdue:
                overdue[key] += 1
    figures: dict[Key, dict[str, object]] = {}
    for key in set(used) | set(overdue) | set(suspended):
        days = used.get(key, [])
        figures[key] = {
            "decided": len(days),
            "average_working_days": mean(days),
            "p90_working_days": percentile_90(days),
            "within_limit_pct": share_pct(within.get(key, 0), len(days)),
            "open_overdue": overdue.get(key, 0),
            "suspended": suspended.get(key, 0),
        }
    return figures


ITEM_ORDER = {item.value: index for index, item in enumerate(ApprovalItem)}


async def weekly_counts(
    session: AsyncSession, start: date, end: date, district: str | None
) -> dict[str, tuple[int, int]]:
    """By district: cases received and cases decided in ``[start, end]``."""
    received = dict(await repository.received_between(session, start, end, district))
    decided: dict[str, int] = defaultdict(int)
    for approval in await repository.decided_between(session, start, end, district):
        decided[approval.district] += 1
    return {d: (received.get(d, 0), decided.get(d, 0)) for d in set(received) | set(decided)}

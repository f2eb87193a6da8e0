"""The coordination figures of the monthly report, by district and lead department.

Figures are computed from the items as they are when the report is read (the registry keeps no history of
deadlines): an item reopened since counts by its latest resolution, and its deadline is the one in force.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.coordination import repository
from services.registry.coordination.service import Reader

FIGURES = ("raised", "resolved", "resolved_within_deadline", "confirmed", "open", "overdue")

Key = tuple[str, str]


def _within(day: date | None, start: date, end: date) -> bool:
    return day is not None and start <= day <= end


async def monthly_figures(
    session: AsyncSession, start: date, end: date, as_of: date, district: str | None
) -> dict[Key, dict[str, int]]:
    """By ``(district, lead_department)``: items raised in ``[start, end]``, resolved in it (and of those, by
    their due date), confirmed in it, and open and overdue at ``as_of`` (the month's end, or today if earlier).
    Only the pairs with a figure other than zero."""
    reader = await Reader.open(session, as_of)
    figures: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    for item in await repository.report_rows(session, start, end, as_of, district):
        key = (item.district, item.lead_department)
        counts = dict.fromkeys(FIGURES, 0)
        counts["raised"] = int(_within(item.raised_on, start, end))
        if _within(item.resolved_on, start, end):
            counts["resolved"] = 1
            counts["resolved_within_deadline"] = int(bool(reader.deadline(item).resolved_within_deadline))
        counts["confirmed"] = int(_within(item.confirmed_on, start, end))
        if item.raised_on <= as_of and (item.resolved_on is None or item.resolved_on > as_of):
            counts["open"] = 1
            counts["overdue"] = int(as_of > reader.deadline(item).due_on)
        if any(counts.values()):
            row = figures[key]
            for name, value in counts.items():
                row[name] += value
    return dict(figures)

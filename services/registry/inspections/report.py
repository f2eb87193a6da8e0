"""The supervision figures of the monthly report (月通报), by district.

- `inspections`: inspections held in the month (by `inspected_on`); `findings` and their counts by category and
  severity: the findings of those inspections.
- 整改率 `rectified_on_time_pct`: of the findings closed in the month (`closed`), the share closed on or before
  the due date of the deadline in force when closed (`closed_on_time`; after a failed recheck, the new deadline).
- 复查通过率 `first_recheck_pass_pct`: of the findings rechecked for the first time in the month
  (`first_rechecks`), the share whose first recheck passed (`first_rechecks_passed`).
- `stop_work_orders`: projects under a stop-work order at the end of `as_of` (a stop-work finding noticed by
  then and not closed by then).

Due dates are counted on the calendar in effect when the report is read, like every other clock. Rates are
percentages to one decimal place (half up), null when nothing was counted.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.approvals.report import share_pct
from services.registry.calendar import service as calendar_service
from services.registry.inspections import repository
from services.registry.inspections.schemas import Category, Severity

FIELDS = (
    "inspections",
    "findings",
    *(f"findings_{c.value}" for c in Category),
    *(f"findings_{s.value}" for s in Severity),
    "closed",
    "closed_on_time",
    "first_rechecks",
    "first_rechecks_passed",
    "stop_work_orders",
)


async def monthly_figures(
    session: AsyncSession, start: date, end: date, as_of: date, district: str | None
) -> dict[str, dict[str, object]]:
    """By district, the figures above for ``[start, end]``; only districts with a figure other than zero."""
    calendar = await calendar_service.load(session)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
    for code, held in await repository.inspections_between(session, start, end, district):
        counts[code]["inspections"] = held
    for code, category, severity, found in await repository.finding_counts_of_inspections_between(
        session, start, end, district
    ):
        row = counts[code]
        row["findings"] += found
        row[f"findings_{category}"] += found
        row[f"findings_{severity}"] += found
    for finding in await repository.deadlines_closed_between(session, start, end, district):
        row = counts[finding.district]
        row["closed"] += 1
        due = calendar.add(finding.deadline_from, finding.deadline_working_days).value
        row["closed_on_time"] += finding.closed_on is not None and finding.closed_on <= due
    for code, rechecked, passed in await repository.first_recheck_counts_between(session, start, end, district):
        row = counts[code]
        row["first_rechecks"] += rechecked
        # A passed recheck closes the finding, so the first one passed exactly when none failed.
        row["first_rechecks_passed"] += passed
    for code, projects in await repository.stop_work_in_force(session, as_of, district):
        counts[code]["stop_work_orders"] = projects
    return {
        code: {
            **row,
            "rectified_on_time_pct": share_pct(row["closed_on_time"], row["closed"]),
            "first_recheck_pass_pct": share_pct(row["first_rechecks_passed"], row["first_rechecks"]),
        }
        for code, row in counts.items()
    }

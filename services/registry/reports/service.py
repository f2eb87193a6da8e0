"""Assembling the weekly and monthly reports from the grouped figures, and writing them as CSV."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock, snapshot
from services.common.days import weeks_starting_in
from services.common.media import Table
from services.registry.approvals import report as approvals_report
from services.registry.approvals.service import Rules
from services.registry.coordination import report as coordination_report
from services.registry.inspections import report as supervision_report
from services.registry.projects.schemas import RiskTier
from services.registry.reports import repository
from services.registry.reports.repository import Period
from services.registry.reports.schemas import (
    ApprovalsRow,
    CoordinationRow,
    LaggingProject,
    MonthlyCounts,
    MonthlyDistrictRow,
    MonthlyReportRead,
    ReportCounts,
    StalledProject,
    SupervisionRow,
    TierCounts,
    WeeklyCounts,
    WeeklyDistrictRow,
    WeeklyReportRead,
)
from services.registry.settings import RegistrySettings

TOTAL = "total"
TOTAL_NAME = "合计"


def make_period(
    settings: RegistrySettings, start: date, end: date, weeks: Sequence[str], district: str | None
) -> Period:
    return Period(
        start=start,
        end=end,
        weeks=weeks,
        as_of=min(end, clock.today()),
        district=district,
        margin=settings.lagging_margin_pct,
    )


def month_period(settings: RegistrySettings, month: str, start: date, end: date, district: str | None) -> Period:
    """The period of ``month`` (its first and last day ``start`` and ``end``): the weeks that begin in it, and
    the month itself, by which its reporters are counted."""
    return replace(make_period(settings, start, end, weeks_starting_in(start, end), district), month=month)


def _district_names(settings: RegistrySettings, period: Period, seen: Iterable[str]) -> list[tuple[str, str]]:
    """The rows' districts: the configured ones (or only the caller's), then any others the data names."""
    configured = [(d.code, d.name) for d in settings.districts]
    if period.district is not None:
        configured = [(code, name) for code, name in configured if code == period.district]
    known = {code for code, _ in configured}
    extra = sorted(set(seen) - known)
    return configured + [(code, code) for code in extra]


def _paired_rows(
    settings: RegistrySettings,
    period: Period,
    figures: Mapping[tuple[str, str], Mapping[str, Any]],
    field: str,
    rank: Callable[[str], Any],
) -> list[dict[str, Any]]:
    """Figures keyed by (district, ``field``) as rows: the districts in the report's order, then ``field`` by
    ``rank``; each row named with its district."""
    names = dict(_district_names(settings, period, {district for district, _ in figures}))
    order = {code: index for index, code in enumerate(names)}
    return [
        {"district": district, "district_name": names[district], field: other, **values}
        for (district, other), values in sorted(figures.items(), key=lambda kv: (order[kv[0][0]], rank(kv[0][1])))
    ]


async def _counts(
    session: AsyncSession, period: Period, lagging: dict[str, tuple[int, ...]] | None = None
) -> dict[str, dict[str, int]]:
    """The figures every report has, by district; ``lagging`` when the caller counted them already."""
    reported = await repository.reported(session, period)
    stalls = await repository.stalls(session, period)
    if lagging is None:
        lagging = await repository.lagging(session, period)
    units = await repository.units_delivered(session, period)
    disputes = await repository.disputes(session, period)
    return _by_district(reported, stalls, lagging, units, disputes)


def _by_district(
    reported: dict[str, tuple[int, ...]],
    stalls: dict[str, tuple[int, ...]],
    lagging: Mapping[str, tuple[int, ...]],
    units: dict[str, tuple[int, ...]],
    disputes: dict[str, tuple[int, ...]],
) -> dict[str, dict[str, int]]:
    """The figures every report has, by district, from the repository's grouped counts."""
    districts = set(reported) | set(stalls) | set(lagging) | set(units) | set(disputes)
    out: dict[str, dict[str, int]] = {}
    for district in districts:
        started, stalled, resumed = stalls.get(district, (0, 0, 0))
        opened, resolved = disputes.get(district, (0, 0))
        out[district] = {
            "projects_reported": reported.get(district, (0,))[0],
            "stalls_started": started,
            "stalled_at_end": stalled,
            "lagging_at_end": lagging.get(district, (0,))[0],
            "resumed": resumed,
            "units_delivered": units.get(district, (0,))[0],
            "disputes_opened": opened,
            "disputes_resolved": resolved,
        }
    return out


def _sum(rows: Sequence[dict[str, Any]], fields: Iterable[str]) -> dict[str, int]:
    return {field: sum(int(row[field]) for row in rows) for field in fields}


async def totals(session: AsyncSession, period: Period) -> ReportCounts:
    """The figures every report has, for the whole of ``period``'s scope: the total row alone (the bulletin
    compares the month with the one before by it)."""
    counts = list((await _counts(session, period)).values())
    return ReportCounts.model_validate(_sum(counts, ReportCounts.model_fields))


async def weekly(session: AsyncSession, settings: RegistrySettings, week: str, period: Period) -> WeeklyReportRead:
    counts = await _counts(session, period)
    approvals = await approvals_report.weekly_counts(session, period.start, period.end, period.district)
    zero = dict.fromkeys(ReportCounts.model_fields, 0)
    rows = [
        {
            "district": code,
            "district_name": name,
            **counts.get(code, zero),
            "approvals_received": approvals.get(code, (0, 0))[0],
            "approvals_decided": approvals.get(code, (0, 0))[1],
        }
        for code, name in _district_names(settings, period, set(counts) | set(approvals))
    ]
    return WeeklyReportRead(
        week=week,
        start=period.start,
        end=period.end,
        as_of=period.as_of,
        districts=[WeeklyDistrictRow.model_validate(r) for r in rows],
        total=WeeklyCounts.model_validate(_sum(rows, WeeklyCounts.model_fields)),
    )


_STALLED = TypeAdapter(list[StalledProject])
_LAGGING = TypeAdapter(list[LaggingProject])


def _tier_counts(tiers: dict[str | None, int]) -> dict[str, int]:
    counts = {f"tier_{tier.value}": tiers.get(tier.value, 0) for tier in RiskTier}
    counts["tier_unassessed"] = tiers.get(None, 0)
    return counts


async def monthly(session: AsyncSession, settings: RegistrySettings, month: str, period: Period) -> MonthlyReportRead:
    # Every figure is an independent read: they run side by side on a few connections that see one snapshot
    # (``snapshot.reads``), the longest first.
    async with snapshot.reads(session) as read:
        lagging_read = read(repository.lagging_projects, period)
        coordination_read = read(
            coordination_report.monthly_figures, period.start, period.end, period.as_of, period.district
        )
        reported = read(repository.reported, period)
        approvals_read = read(
            approvals_report.monthly_figures, Rules.of(settings), period.start, period.end, period.district
        )
        stalled_read = read(repository.stalled_projects, period)
        supervision_read = read(
            supervision_report.monthly_figures, period.start, period.end, period.as_of, period.district
        )
        tiers_read = read(repository.tiers, period)
        stalls = read(repository.stalls, period)
        disputes = read(repository.disputes, period)
        units = read(repository.units_delivered, period)
    # The lagging projects are listed anyway: their count by district is read off the list (the same condition,
    # grouped), not counted again by a query of its own.
    lagging_rows = lagging_read.result()
    lagging_by_district: Counter[str] = Counter(r.district for r in lagging_rows)
    counts = _by_district(
        reported.result(),
        stalls.result(),
        {d: (n,) for d, n in lagging_by_district.items()},
        units.result(),
        disputes.result(),
    )
    tiers = tiers_read.result()
    zero = dict.fromkeys(ReportCounts.model_fields, 0)
    rows = [
        {
            "district": code,
            "district_name": name,
            **counts.get(code, zero),
            **_tier_counts(tiers.get(code, {})),
        }
        for code, name in _district_names(settings, period, set(counts) | set(tiers))
    ]
    # Thousands of rows: validated as one list in pydantic's core, which is quicker than constructing each model
    # in Python (``model_construct``).
    stalled = _STALLED.validate_python(
        [
            {
                "code": r.code,
                "name": r.name,
                "district": r.district,
                "stall_started_on": r.started_on,
                "stall_days": (period.as_of - r.started_on).days,
            }
            for r in stalled_read.result()
        ]
    )
    lagging = _LAGGING.validate_python(
        [
            {
                "code": r.code,
                "name": r.name,
                "district": r.district,
                "progress_pct": r.progress_pct,
                "planned_progress_pct": r.planned,
                "lag_pct": r.planned - r.progress_pct,
            }
            for r in lagging_rows
        ]
    )
    figures = approvals_read.result()
    approvals = [
        ApprovalsRow.model_validate(row)
        for row in _paired_rows(settings, period, figures, "item", approvals_report.ITEM_ORDER.__getitem__)
    ]
    supervision_figures = supervision_read.result()
    supervision = [
        SupervisionRow.model_validate({"district": code, "district_name": name, **supervision_figures[code]})
        for code, name in _district_names(settings, period, supervision_figures)
        if code in supervision_figures
    ]
    coordination_figures = coordination_read.result()
    coordination = [
        CoordinationRow.model_validate(row)
        for row in _paired_rows(settings, period, coordination_figures, "lead_department", str)
    ]
    return MonthlyReportRead(
        month=month,
        start=period.start,
        end=period.end,
        as_of=period.as_of,
        districts=[MonthlyDistrictRow.model_validate(r) for r in rows],
        total=MonthlyCounts.model_validate(_sum(rows, [*ReportCounts.model_fields, *TierCounts.model_fields])),
        stalled_projects=stalled,
        lagging_projects=lagging,
        approvals=approvals,
        supervision=supervision,
        coordination=coordination,
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.1f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_table(row_type: type[BaseModel], rows: Sequence[BaseModel], total: BaseModel | None = None) -> Table:
    """The table of ``rows`` (``media.Table``: CSV or xlsx) with a header of ``row_type``'s fields and, when
    given, a closing total row; its int and Decimal fields are numbers in a workbook."""
    columns = list(row_type.model_fields)
    table: list[list[str]] = [[_cell(getattr(row, c)) for c in columns] for row in rows]
    if total is not None:
        values = {"district": TOTAL, "district_name": TOTAL_NAME, **total.model_dump()}
        table.append([_cell(values[c]) for c in columns])
    numbers = frozenset(
        name
        for name, info in row_type.model_fields.items()
        if any(t in str(info.annotation) for t in ("int", "Decimal"))
    )
    days = frozenset(name for name, info in row_type.model_fields.items() if "date" in str(info.annotation))
    return Table(columns, table, numbers=numbers, days=days)

"""The monthly bulletin (月通报) as a document: the monthly report, the month before it, the year's trend,
financing's figures by bank and the named lists, put in the order a 通报 reads."""

from __future__ import annotations

import asyncio
import calendar
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.peers import PeerContractError, PeerUnavailable
from services.common.peers.financing import BankFigures, FinancingClient
from services.registry.approvals import board
from services.registry.approvals.report import share_pct
from services.registry.approvals.schemas import OverdueKind
from services.registry.approvals.service import Rules
from services.registry.bulletin import charts, repository
from services.registry.reports import service as reports
from services.registry.reports.repository import Period, Rows
from services.registry.reports.schemas import MonthlyDistrictRow, MonthlyReportRead, SupervisionRow
from services.registry.settings import RegistrySettings

log = logging.getLogger("handover.registry.bulletin")

TREND_MONTHS = 12
TIERS = ("red", "orange", "yellow", "green", "unassessed")
# The figures at the head of the bulletin, this month against the last: (field of the report, label).
HEADLINES = (
    ("projects_reported", "报送周调度项目"),
    ("stalls_started", "新增停工"),
    ("resumed", "复工"),
    ("stalled_at_end", "月末停工项目"),
    ("lagging_at_end", "进度滞后项目"),
    ("units_delivered", "交付套数"),
    ("disputes_opened", "新增信访投诉"),
    ("disputes_resolved", "化解信访投诉"),
)


@dataclass(frozen=True)
class Headline:
    field: str
    label: str
    now: int
    before: int

    @property
    def change(self) -> int:
        return self.now - self.before


@dataclass(frozen=True)
class BankLine:
    bank: str
    credit_lines_approved: int
    credit_approved: Decimal
    amount_disbursed: Decimal


@dataclass(frozen=True)
class Financing:
    """Financing's figures by bank for the bulletin's scope, or why there are none."""

    banks: Sequence[BankLine] = ()
    total: BankLine | None = None
    unavailable: str | None = None


@dataclass(frozen=True)
class NamedList:
    """A list of projects the bulletin names: the first ``limit`` rows, and how many there are."""

    rows: Sequence[dict[str, object]]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


@dataclass(frozen=True)
class Bulletin:
    district: str | None
    issuer: str
    number: str
    title: str
    scope_name: str
    report: MonthlyReportRead
    previous_month: str
    headlines: Sequence[Headline]
    ranking: Sequence[MonthlyDistrictRow]
    trend_months: Sequence[str]
    trend_stalled: Sequence[int]
    trend_delivered: Sequence[int]
    financing: Financing
    red_projects: NamedList
    newly_stalled: NamedList
    overdue_approvals: NamedList
    overdue_findings: NamedList
    overdue_coordination: NamedList
    supervision_total: SupervisionTotal | None = None
    charts: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SupervisionTotal:
    """The supervision section's 合计 row: the districts' counts summed, the rates worked out from the sums."""

    inspections: int
    findings: int
    findings_serious: int
    closed: int
    closed_on_time: int
    rectified_on_time_pct: Decimal | None
    first_rechecks: int
    first_rechecks_passed: int
    first_recheck_pass_pct: Decimal | None
    stop_work_orders: int


def supervision_total(rows: Sequence[SupervisionRow]) -> SupervisionTotal | None:
    if not rows:
        return None
    closed, on_time = sum(r.closed for r in rows), sum(r.closed_on_time for r in rows)
    rechecked, passed = sum(r.first_rechecks for r in rows), sum(r.first_rechecks_passed for r in rows)
    return SupervisionTotal(
        inspections=sum(r.inspections for r in rows),
        findings=sum(r.findings for r in rows),
        findings_serious=sum(r.findings_major + r.findings_critical for r in rows),
        closed=closed,
        closed_on_time=on_time,
        rectified_on_time_pct=share_pct(on_time, closed),
        first_rechecks=rechecked,
        first_rechecks_passed=passed,
        first_recheck_pass_pct=share_pct(passed, rechecked),
        stop_work_orders=sum(r.stop_work_orders for r in rows),
    )


def previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - 1:04d}-12" if number == 1 else f"{year:04d}-{number - 1:02d}"


def month_bounds(month: str) -> tuple[date, date]:
    year, number = int(month[:4]), int(month[5:7])
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


def ranking(rows: Sequence[MonthlyDistrictRow]) -> list[MonthlyDistrictRow]:
    """Districts with the most to answer for first: red projects, then stalled, then lagging, then fewer units
    delivered; the district code settles ties."""
    return sorted(
        rows, key=lambda r: (-r.tier_red, -r.stalled_at_end, -r.lagging_at_end, r.units_delivered, r.district)
    )


def by_bank(answer_rows: Sequence[BankFigures], district: str | None) -> Financing:
    """The month's credit summed by bank over the districts in scope."""
    sums: dict[str, list[Decimal]] = {}
    for row in answer_rows:
        if district is not None and row.district != district:
            continue
        line = sums.setdefault(row.bank, [Decimal(0), Decimal(0), Decimal(0)])
        line[0] += row.credit_lines_approved
        line[1] += row.credit_approved
        line[2] += row.amount_disbursed
    banks = [BankLine(bank, int(n), approved, disbursed) for bank, (n, approved, disbursed) in sorted(sums.items())]
    total = BankLine(
        "合计",
        sum(b.credit_lines_approved for b in banks),
        sum((b.credit_approved for b in banks), Decimal(0)),
        sum((b.amount_disbursed for b in banks), Decimal(0)),
    )
    return Financing(banks=banks, total=total)


async def _financing(client: FinancingClient, month: str, district: str | None) -> Financing:
    try:
        answer = await client.financing_report(month)
    except (PeerUnavailable, PeerContractError) as exc:
        log.warning("bulletin without financing figures: %s", exc)
        return Financing(unavailable=f"融资服务暂未应答（{exc.reason}），本节数据从略，其余内容不受影响。")
    return by_bank(answer.rows, district)


async def assemble(
    session: AsyncSession,
    settings: RegistrySettings,
    financing: FinancingClient,
    report: MonthlyReportRead,
    period: Period,
) -> Bulletin:
    """Everything the document shows; the figures it shares with ``report`` are ``report``'s own.

    What does not need the database runs while the queries do: financing's answer is awaited, and the charts
    (matplotlib works on the CPU) are drawn in a thread, both started as soon as what they show is known.
    """
    month = report.month
    asked = asyncio.create_task(_financing(financing, month, period.district))
    drawing: asyncio.Task[dict[str, str]] | None = None
    try:
        months, stalled, delivered = await _trend(session, month, period)
        district_names = [row.district_name for row in report.districts]
        tiers = {tier: [getattr(row, f"tier_{tier}") for row in report.districts] for tier in TIERS}
        drawing = asyncio.create_task(asyncio.to_thread(_charts, district_names, tiers, months, stalled, delivered))
        before = previous_month(month)
        first, last = month_bounds(before)
        earlier = reports.month_period(settings, before, first, last, period.district)
        previous = await reports.totals(session, earlier)
        names = {row.district: row.district_name for row in report.districts}
        red, newly, late = await _named_lists(session, settings, period, names)
        figures = await asked
        drawn = await drawing
    except BaseException:  # a failed query or a cancelled request leaves no task behind
        asked.cancel()
        if drawing is not None:
            drawing.cancel()
        raise
    year, number = int(month[:4]), int(month[5:7])
    return Bulletin(
        district=period.district,
        issuer=settings.bulletin_issuer,
        number=settings.bulletin_number.format(year=year, month=number),
        title=f"关于{year}年{number}月保交房工作情况的通报",
        scope_name=names.get(period.district, period.district) if period.district else "全市",
        report=report,
        previous_month=before,
        headlines=[
            Headline(name, label, getattr(report.total, name), getattr(previous, name)) for name, label in HEADLINES
        ],
        ranking=ranking(report.districts),
        trend_months=months,
        trend_stalled=stalled,
        trend_delivered=delivered,
        financing=figures,
        red_projects=red,
        newly_stalled=newly,
        overdue_approvals=late[OverdueKind.approval],
        overdue_findings=late[OverdueKind.finding],
        overdue_coordination=late[OverdueKind.coordination_item],
        supervision_total=supervision_total(report.supervision),
        charts=drawn,
    )


def _charts(
    district_names: list[str],
    tiers: dict[str, list[int]],
    months: list[str],
    stalled: list[int],
    delivered: list[int],
) -> dict[str, str]:
    """Both charts, one after the other (matplotlib's settings are global: ``charts`` draws one at a time)."""
    return {
        "tiers": charts.tiers_by_district(district_names, tiers),
        "trend": charts.trend(months, stalled, delivered),
    }


async def _trend(session: AsyncSession, month: str, period: Period) -> tuple[list[str], list[int], list[int]]:
    """The twelve months ending with ``month``, projects stalled at each one's end (or ``as_of``), and units
    delivered in each."""
    months = [month]
    for _ in range(TREND_MONTHS - 1):
        months.insert(0, previous_month(months[0]))
    bounds = [month_bounds(m) for m in months]
    ends = [min(end, period.as_of) for _, end in bounds]
    stalled = await repository.stalled_on(session, ends, period.district)
    delivered = await repository.units_delivered_in(session, bounds, period.district)
    return months, stalled, delivered


async def _named_lists(
    session: AsyncSession, settings: RegistrySettings, period: Period, names: dict[str, str]
) -> tuple[NamedList, NamedList, dict[OverdueKind, NamedList]]:
    """The red projects, the stalls begun in the period and what is late on the overdue board (approvals,
    findings, coordination items: a list each), at most ``bulletin_list_limit`` of each, with their districts'
    names."""
    limit = settings.bulletin_list_limit
    red_rows, red_total = await repository.red_projects(session, period, limit)
    new_rows, new_total = await repository.newly_stalled(session, period, limit)
    late = await board.overdue(session, Rules.of(settings), period.district)

    def named(rows: Rows) -> list[dict[str, object]]:
        return [{**r._mapping, "district_name": names.get(r.district, r.district)} for r in rows]

    def overdue(kind: OverdueKind) -> NamedList:
        items = [item for item in late if item.kind is kind]
        rows: list[dict[str, object]] = [
            {
                "district_name": names.get(item.district, item.district),
                "code": item.project_code,
                "name": item.project_name,
                "title": item.title,
                "owner": _in_chinese(item.owner),
                "due_on": item.due_on,
                "working_days_overdue": item.working_days_overdue,
                "escalated": "已督办" if item.escalated else "",
            }
            for item in items[:limit]
        ]
        return NamedList(rows, len(items))

    return (
        NamedList(named(red_rows), red_total),
        NamedList(named(new_rows), new_total),
        {kind: overdue(kind) for kind in OverdueKind},
    )


def _in_chinese(owner: str) -> str:
    """The owner as a leader reads it: the board names a finding's party in Chinese with its code in brackets
    (``施工单位 (construction)``) for machines; the document keeps the Chinese."""
    name, _, code = owner.partition(" (")
    return name if code.endswith(")") and code[:-1].isascii() else owner

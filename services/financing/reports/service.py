"""Assembling the monthly financing report from the grouped figures, and writing it as CSV."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.media import Table
from services.common.money import format_money
from services.financing.credit_lines.schemas import CreditLineKind
from services.financing.funds.report import service as policy_funds
from services.financing.reports import repository
from services.financing.reports.repository import Period
from services.financing.reports.schemas import Figures, FinancingReportRead, FinancingReportRow, KindFigures
from services.financing.whitelist.schemas import Decision

TOTAL = "total"
ALL_KINDS = "all"
CSV_COLUMNS = (
    "district",
    "bank",
    "kind",
    "projects_pushed",
    "projects_approved",
    "projects_declined",
    "credit_lines_approved",
    "credit_approved",
    "amount_disbursed",
)
MONEY_COLUMNS = frozenset({"credit_approved", "amount_disbursed"})
ZERO = Decimal("0.00")


def make_period(start: date, end: date, district: str | None, bank: str | None) -> Period:
    """The month from ``start`` to ``end`` as the city's days, in UTC instants for the timestamp columns."""
    zone = clock.city_zone()
    return Period(
        start=start,
        end=end,
        starts_at=datetime.combine(start, time(), zone).astimezone(UTC),
        ends_before=datetime.combine(end + timedelta(days=1), time(), zone).astimezone(UTC),
        district=district,
        bank=bank,
    )


class _Tally:
    """The figures of one group while they are gathered."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = defaultdict(int)
        self.kinds: dict[str, dict[str, Any]] = defaultdict(lambda: {"lines": 0, "approved": ZERO, "disbursed": ZERO})

    def figures(self) -> dict[str, Any]:
        by_kind = [
            KindFigures(
                kind=CreditLineKind(kind),
                credit_lines_approved=values["lines"],
                credit_approved=values["approved"],
                amount_disbursed=values["disbursed"],
            )
            for kind, values in sorted(self.kinds.items())
        ]
        return {
            "projects_pushed": self.counts["pushed"],
            "projects_approved": self.counts[Decision.approve],
            "projects_declined": self.counts[Decision.decline],
            "credit_lines_approved": sum(k.credit_lines_approved for k in by_kind),
            "credit_approved": sum((k.credit_approved for k in by_kind), ZERO),
            "amount_disbursed": sum((k.amount_disbursed for k in by_kind), ZERO),
            "by_kind": by_kind,
        }


async def _tally(session: AsyncSession, period: Period, *, by_bank: bool) -> dict[tuple[str, ...], _Tally]:
    tallies: dict[tuple[str, ...], _Tally] = defaultdict(_Tally)
    width = 2 if by_bank else 0
    for row in await repository.pushed(session, period, by_bank=by_bank):
        tallies[tuple(row[:width])].counts["pushed"] += row[width]
    for row in await repository.decided(session, period, by_bank=by_bank):
        tallies[tuple(row[:width])].counts[row[width]] += row[width + 1]
    for row in await repository.approved_credit(session, period, by_bank=by_bank):
        kind = tallies[tuple(row[:width])].kinds[row[width]]
        kind["lines"] += row[width + 1]
        kind["approved"] += row[width + 2]
    for row in await repository.disbursed(session, period, by_bank=by_bank):
        tallies[tuple(row[:width])].kinds[row[width]]["disbursed"] += row[width + 1]
    return tallies


async def monthly(session: AsyncSession, month: str, period: Period, *, with_target: bool) -> FinancingReportRead:
    """The report of ``month``: one row per district and bank with any figure, the total, and the policy funds
    (with the year's target when ``with_target``)."""
    rows = await _tally(session, period, by_bank=True)
    total = (await _tally(session, period, by_bank=False)).get((), _Tally())
    return FinancingReportRead(
        month=month,
        period_start=period.start,
        period_end=period.end,
        rows=[
            FinancingReportRow(district=district, bank=bank, **tally.figures())
            for (district, bank), tally in sorted(rows.items())
        ],
        total=Figures(**total.figures()),
        policy_funds=await policy_funds.section(session, period, with_target=with_target),
    )


def _lines(district: str, bank: str, figures: Figures) -> list[list[str]]:
    lines = [
        [
            district,
            bank,
            ALL_KINDS,
            str(figures.projects_pushed),
            str(figures.projects_approved),
            str(figures.projects_declined),
            str(figures.credit_lines_approved),
            format_money(figures.credit_approved),
            format_money(figures.amount_disbursed),
        ]
    ]
    for kind in figures.by_kind:
        lines.append(
            [
                district,
                bank,
                kind.kind.value,
                "",
                "",
                "",
                str(kind.credit_lines_approved),
                format_money(kind.credit_approved),
                format_money(kind.amount_disbursed),
            ]
        )
    return lines


def to_table(report: FinancingReportRead) -> Table:
    """The report as a table (``media.Table``, CSV or xlsx): for each district and bank a line of kind `all`, then
    a line per kind of credit (project counts have no kind and are left empty); the total last, as district
    `total`."""
    table: list[list[str]] = []
    for row in report.rows:
        table.extend(_lines(row.district, row.bank, row))
    table.extend(_lines(TOTAL, "", report.total))
    return Table(CSV_COLUMNS, table, money=MONEY_COLUMNS, numbers=frozenset(CSV_COLUMNS[3:7]))

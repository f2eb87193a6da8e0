"""Assembling the policy-funds section of the financing report, and writing it as CSV."""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.media import Table
from services.common.money import format_money
from services.financing.funds.payments.rules import Rule
from services.financing.funds.programs.schemas import FundSource, FundUse
from services.financing.funds.report import repository
from services.financing.funds.report.schemas import (
    DistrictFundFigures,
    FundFigures,
    PolicyFundsRead,
    PolicyFundsTotal,
    ProgramFundFigures,
    RefusedAttempts,
    UseAmount,
)
from services.financing.funds.targets import service as targets
from services.financing.funds.targets.schemas import TargetRead
from services.financing.reports.repository import Period

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
ALL = "all"
TOTAL = "total"
POLICY_FUNDS_COLUMNS = (
    "program_id",
    "program",
    "source",
    "year",
    "district",
    "granted_amount",
    "allocated_amount",
    "paid_amount",
    "paid_in_month",
    "spent_pct",
    "projects",
    *(f"paid_{use.value}" for use in FundUse),
    *(f"refused_{rule.value}" for rule in Rule),
)
TARGET_COLUMNS = (
    "year",
    "amount_sought",
    "amount_granted",
    "projects_to_support",
    "projects_supported",
    "programs",
    "amount_allocated",
    "amount_paid",
)


class _Tally:
    """The figures of one program in one district, or of a sum of them, while they are gathered."""

    def __init__(self) -> None:
        self.allocated = ZERO
        self.projects = 0
        self.paid: dict[str, Decimal] = defaultdict(lambda: ZERO)
        self.paid_in_month = ZERO
        self.refused: dict[str, int] = defaultdict(int)

    def add(self, other: _Tally) -> None:
        self.allocated += other.allocated
        self.projects += other.projects
        self.paid_in_month += other.paid_in_month
        for use, amount in other.paid.items():
            self.paid[use] += amount
        for rule, count in other.refused.items():
            self.refused[rule] += count

    def figures(self) -> dict[str, Any]:
        paid = sum(self.paid.values(), ZERO)
        spent = None if self.allocated == 0 else (paid * HUNDRED / self.allocated).quantize(CENT, ROUND_DOWN)
        return {
            "allocated_amount": self.allocated,
            "paid_amount": paid,
            "paid_in_month": self.paid_in_month,
            "paid_by_use": [UseAmount(use=use, amount=self.paid.get(use.value, ZERO)) for use in FundUse],
            "spent_pct": spent,
            "projects": self.projects,
            "refused_in_month": [RefusedAttempts(rule=rule, attempts=self.refused.get(rule.value, 0)) for rule in Rule],
        }


async def _tallies(session: AsyncSession, period: Period, program_ids: list[str]) -> dict[tuple[str, str], _Tally]:
    tallies: dict[tuple[str, str], _Tally] = defaultdict(_Tally)
    for program_id, district, amount, projects in await repository.allocated(session, period, program_ids):
        tallies[program_id, district].allocated += amount
        tallies[program_id, district].projects += projects
    for program_id, district, use, amount, in_month in await repository.paid(session, period, program_ids):
        tallies[program_id, district].paid[use] += amount
        tallies[program_id, district].paid_in_month += in_month
    for program_id, district, rule, attempts in await repository.refused(session, period, program_ids):
        tallies[program_id, district].refused[rule] += attempts
    return tallies


async def section(session: AsyncSession, period: Period, *, with_target: bool) -> PolicyFundsRead:
    """The policy funds as of the end of ``period``, in the period's scope (a district, a bank)."""
    programs = await repository.programs(session, period)
    ids = [program.id for program in programs]
    tallies = await _tallies(session, period, ids)
    by_program: dict[str, list[tuple[str, _Tally]]] = defaultdict(list)
    for (program_id, district), tally in sorted(tallies.items()):
        by_program[program_id].append((district, tally))
    rows = []
    total = _Tally()
    for program in programs:
        summed = _Tally()
        for _, tally in by_program[program.id]:
            summed.add(tally)
        total.add(summed)
        rows.append(
            ProgramFundFigures(
                program_id=program.id,
                name=program.name,
                source=FundSource(program.source),
                year=program.year,
                paying_bank=program.paying_bank,
                granted_amount=program.granted_amount,
                districts=[
                    DistrictFundFigures(district=district, **tally.figures())
                    for district, tally in by_program[program.id]
                ],
                **summed.figures(),
            )
        )
    # A project allocated from several programs counts once in the total.
    total.projects = await repository.projects(session, period, ids)
    target = await targets.read(session, period.start.year, period.end) if with_target else None
    return PolicyFundsRead(
        programs=rows,
        total=PolicyFundsTotal(
            granted_amount=sum((p.granted_amount for p in programs), ZERO),
            **total.figures(),
        ),
        target=target,
    )


def _figures_line(figures: FundFigures) -> list[str]:
    return [
        format_money(figures.allocated_amount),
        format_money(figures.paid_amount),
        format_money(figures.paid_in_month),
        "" if figures.spent_pct is None else f"{figures.spent_pct:f}",
        str(figures.projects),
        *(format_money(item.amount) for item in figures.paid_by_use),
        *(str(item.attempts) for item in figures.refused_in_month),
    ]


def _write(header: tuple[str, ...], lines: list[list[str]]) -> Table:
    """The table (``media.Table``, CSV or xlsx); columns of amounts are money, counts and shares numbers."""
    money = frozenset(c for c in header if "amount" in c or c.startswith("paid_"))
    numbers = frozenset(c for c in header if c in _NUMBERS or c.startswith("refused_") or c.startswith("projects"))
    return Table(header, lines, money=money, numbers=numbers)


_NUMBERS = frozenset({"year", "spent_pct", "programs"})


def to_table(funds: PolicyFundsRead) -> Table:
    """The section as CSV: for each program a line of district `all`, then a line per district (the grant is
    the program's and left empty there); the total last, as program `total`."""
    lines = []
    for program in funds.programs:
        described = [program.program_id, program.name, program.source.value, str(program.year)]
        lines.append([*described, ALL, format_money(program.granted_amount), *_figures_line(program)])
        for district in program.districts:
            lines.append([*described, district.district, "", *_figures_line(district)])
    lines.append([TOTAL, "", "", "", ALL, format_money(funds.total.granted_amount), *_figures_line(funds.total)])
    return _write(POLICY_FUNDS_COLUMNS, lines)


def target_table(target: TargetRead | None) -> Table:
    """The year's target against the actual as CSV: one line, none for a caller who may not read targets."""
    if target is None:
        return _write(TARGET_COLUMNS, [])
    line = [
        str(target.year),
        "" if target.amount_sought is None else format_money(target.amount_sought),
        format_money(target.amount_granted),
        "" if target.projects_to_support is None else str(target.projects_to_support),
        str(target.projects_supported),
        str(target.programs),
        format_money(target.amount_allocated),
        format_money(target.amount_paid),
    ]
    return _write(TARGET_COLUMNS, [line])

"""The monthly financing report: what the coordination mechanism publishes, by district and bank."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field

from services.common.money import MoneyTotal
from services.financing.credit_lines.schemas import CreditLineKind
from services.financing.funds.report.schemas import PolicyFundsRead


class KindFigures(BaseModel):
    """Credit of one kind."""

    kind: CreditLineKind
    credit_lines_approved: int = Field(description="Lines whose `approved_on` falls in the month.")
    credit_approved: MoneyTotal = Field(description="Their approved amounts.")
    amount_disbursed: MoneyTotal = Field(description="Disbursed in the month, net of reversals.")


class Figures(BaseModel):
    projects_pushed: int = Field(description="Projects pushed to the bank in the month.")
    projects_approved: int = Field(description="Projects the bank approved (decisions recorded in the month).")
    projects_declined: int = Field(description="Projects the bank declined (decisions recorded in the month).")
    credit_lines_approved: int = Field(description="Lines whose `approved_on` falls in the month.")
    credit_approved: MoneyTotal = Field(description="Their approved amounts.")
    amount_disbursed: MoneyTotal = Field(description="Disbursements dated in the month and not reversed.")
    by_kind: list[KindFigures] = Field(description="Credit and disbursements by kind of line.")


class _Group(BaseModel):
    district: str
    bank: str


class FinancingReportRow(Figures, _Group):
    """The figures of one district and bank."""


class ReportSection(StrEnum):
    """The table a CSV download of the report carries: `credit` (by district, bank and kind), `policy_funds`
    (by program and district), `fund_target` (the year's target against the actual)."""

    credit = "credit"
    policy_funds = "policy_funds"
    fund_target = "fund_target"


class FinancingReportRead(BaseModel):
    """Figures by district and bank (each broken down by kind), and the city's totals, where a project pushed
    to several banks counts once; then the policy funds."""

    month: str
    period_start: date
    period_end: date
    rows: list[FinancingReportRow]
    total: Figures
    policy_funds: PolicyFundsRead = Field(description="The policy funds (专项借款, 纾困资金) as of the month's end.")

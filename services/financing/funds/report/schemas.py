"""The policy-funds section of the monthly financing report."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, WithJsonSchema

from services.common.money import MoneyRead
from services.financing.funds.payments.rules import Rule
from services.financing.funds.programs.schemas import FundSource, FundUse
from services.financing.funds.targets.schemas import TargetRead

Percent = Annotated[Decimal, WithJsonSchema({"type": "string", "pattern": r"^\d{1,3}\.\d{2}$", "examples": ["45.50"]})]


class UseAmount(BaseModel):
    use: FundUse
    amount: MoneyRead


class RefusedAttempts(BaseModel):
    rule: Rule
    attempts: int


class FundFigures(BaseModel):
    allocated_amount: MoneyRead = Field(description="Allocated to projects by the month's end.")
    paid_amount: MoneyRead = Field(description="Paid out of the allocations by the month's end, net of reversals.")
    paid_in_month: MoneyRead = Field(description="Paid on a day of the month, net of reversals.")
    paid_by_use: list[UseAmount] = Field(description="`paid_amount` by use, every use listed.")
    spent_pct: Percent | None = Field(
        description="`paid_amount` as a percentage of `allocated_amount`, rounded down to two places, so 100.00 "
        "means spent in full; null when nothing is allocated."
    )
    projects: int = Field(description="Projects with an allocation by the month's end.")
    refused_in_month: list[RefusedAttempts] = Field(
        description="Payments refused in the month by each rule of the funds, every rule listed."
    )


class DistrictFundFigures(FundFigures):
    district: str


class ProgramFundFigures(FundFigures):
    program_id: str
    name: str
    source: FundSource
    year: int
    paying_bank: str | None
    granted_amount: MoneyRead
    districts: list[DistrictFundFigures] = Field(description="The program's figures in each district it reached.")


class PolicyFundsTotal(FundFigures):
    granted_amount: MoneyRead = Field(description="Granted by the programs listed.")


class PolicyFundsRead(BaseModel):
    """Every program granted by the month's end (a bank: those it pays out), with its figures as of the month's
    end by district, the city's total, and the year's target against the actual. A district officer sees its
    district's figures."""

    programs: list[ProgramFundFigures]
    total: PolicyFundsTotal
    target: TargetRead | None = Field(
        description="The target of the month's year against the city's actual by the month's end; null for banks."
    )

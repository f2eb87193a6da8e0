"""Fund programs as the API shows them, and the closed sets every part of the funds shares."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.common.days import Day
from services.common.money import MoneyRead, PositiveMoney
from services.financing.banks.schemas import BankCode

# 一万亿元: above any grant a city receives, and low enough that the sums over every program of a city stay
# within money's sixteen integer digits.
GRANT_CEILING = Decimal("1000000000000.00")
FIRST_YEAR = 2000
LAST_YEAR = 2099


class FundSource(StrEnum):
    """Where a program's money comes from: `special_loan` 保交楼专项借款, `provincial_relief` 省级纾困资金,
    `other` 其他."""

    special_loan = "special_loan"  # 保交楼专项借款
    provincial_relief = "provincial_relief"  # 省级纾困资金
    other = "other"


class FundUse(StrEnum):
    """What a payment pays for; a program lists the uses it may pay for: `construction` 工程款, `materials`
    材料款, `current_wages` 当期农民工工资 (not wage arrears from before the cutover), `equipment` 设备款,
    `utilities` 水电气等配套, `other` 其他."""

    construction = "construction"  # 工程款
    materials = "materials"  # 材料款
    current_wages = "current_wages"  # 当期农民工工资 (not wage arrears from before the cutover)
    equipment = "equipment"  # 设备款
    utilities = "utilities"  # 水电气等配套
    other = "other"


def _within_ceiling(amount: Decimal) -> Decimal:
    if amount > GRANT_CEILING:
        raise ValueError(f"a program grants at most {GRANT_CEILING} yuan")
    return amount


def _distinct(uses: list[FundUse]) -> list[FundUse]:
    if len(set(uses)) != len(uses):
        raise ValueError("each use is listed once")
    return uses


Year = Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR, examples=[2025])]


class ProgramCreate(BaseModel):
    """A policy fund granted to the city."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "2025年第一批保交楼专项借款",
                    "source": "special_loan",
                    "year": 2025,
                    "granted_amount": "300000000.00",
                    "granted_on": "2025-03-10",
                    "cutover_date": "2024-06-30",
                    "eligible_uses": ["construction", "materials", "current_wages"],
                    "paying_bank": "CDB",
                }
            ]
        },
    )

    name: Annotated[str, Field(min_length=1, max_length=200, examples=["2025年第一批保交楼专项借款"])]
    source: FundSource
    year: Year = Field(description="The budget year the money is granted for.")
    granted_amount: Annotated[PositiveMoney, AfterValidator(_within_ceiling)] = Field(
        description="Yuan granted to the city, at most 1,000,000,000,000.00."
    )
    granted_on: Day | None = Field(None, description="Defaults to today; not a future day.")
    cutover_date: Day = Field(
        description="新老划断: liabilities incurred before this day may not be paid from the program."
    )
    eligible_uses: Annotated[
        list[FundUse],
        Field(min_length=1, max_length=len(FundUse), json_schema_extra={"uniqueItems": True}),
        AfterValidator(_distinct),
    ] = Field(description="The uses the program may pay for (专款专用), each once.")
    paying_bank: BankCode | None = Field(
        None, description="The bank that pays out the program's money; it then sees the program's payments."
    )


class ProgramRead(BaseModel):
    id: str
    name: str
    source: FundSource
    year: int
    granted_amount: MoneyRead
    allocated_amount: MoneyRead = Field(description="Allocated to projects.")
    unallocated_amount: MoneyRead = Field(description="`granted_amount` less `allocated_amount`.")
    paid_amount: MoneyRead = Field(description="Paid out of the allocations, net of reversals.")
    granted_on: date
    cutover_date: date
    eligible_uses: list[FundUse]
    paying_bank: str | None
    created_at: datetime

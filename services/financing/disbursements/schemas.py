"""Disbursements (放款) and their reversals, as the API shows them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.common.days import Day
from services.common.money import MoneyRead, PositiveMoney
from services.financing.credit_lines.schemas import CreditLineKind


class DisbursementStatus(StrEnum):
    """A disbursement's state: `recorded` 已放款, `reversed` 已冲正."""

    recorded = "recorded"
    reversed = "reversed"


class DisbursementCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"amount": "5000000.00", "disbursed_on": "2026-02-10", "purpose": "主体结构施工款"}]
        },
    )

    amount: PositiveMoney
    disbursed_on: Day = Field(description="Not before the line's approval, not after its maturity or today.")
    purpose: Annotated[str, Field(min_length=1, max_length=500, examples=["主体结构施工款"])]


class ReversalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "重复录入"}]})

    reason: Annotated[str, Field(min_length=1, max_length=500, examples=["重复录入"])]


class DisbursementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    credit_line_id: str
    project_id: str
    bank: str
    kind: CreditLineKind
    amount: MoneyRead
    disbursed_on: date
    purpose: str
    status: DisbursementStatus
    reversal_reason: str | None
    reversed_at: datetime | None
    created_at: datetime

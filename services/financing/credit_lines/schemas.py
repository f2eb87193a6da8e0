"""Credit lines (授信) as the API shows them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.common.days import Day
from services.common.money import MoneyRead, PositiveMoney


class CreditLineKind(StrEnum):
    """The kind of credit (授信): `development_loan` 房地产开发贷款, `special_loan` 保交楼专项借款, `other` 其他."""

    development_loan = "development_loan"  # 开发贷款
    special_loan = "special_loan"  # 保交楼专项借款
    other = "other"


class CreditLineCreate(BaseModel):
    """Credit a bank grants a project outside a whitelist decision. A city admin names the ``bank``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "project_id": "0b5f8a3e-3c2d-4f6a-9d1e-7a8b9c0d1e2f",
                    "kind": "special_loan",
                    "approved_amount": "50000000.00",
                    "approved_on": "2026-01-20",
                    "maturity_date": "2028-12-31",
                }
            ]
        },
    )

    project_id: Annotated[
        str,
        Field(
            min_length=36,
            max_length=36,
            pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
            description="A registry project's id (a UUID).",
        ),
    ]
    bank: Annotated[str, Field(min_length=2, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")] | None = None
    kind: CreditLineKind
    approved_amount: PositiveMoney
    approved_on: Day | None = Field(None, description="Defaults to today.")
    maturity_date: Day | None = None


class CreditLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    project_id: str
    district: str
    bank: str
    kind: CreditLineKind
    approved_amount: MoneyRead
    approved_on: date
    maturity_date: date | None
    disbursed_amount: MoneyRead = Field(description="Disbursed and not reversed.")
    available_amount: MoneyRead = Field(description="`approved_amount` less `disbursed_amount`.")
    entry_id: str | None = Field(description="The whitelist entry whose decision opened the line, if one did.")
    decision_id: str | None
    created_at: datetime

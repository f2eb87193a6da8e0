"""Allocations of a program to projects, as the API shows them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.common.days import Day
from services.common.money import MoneyRead, PositiveMoney
from services.financing.whitelist.schemas import ProjectId


class AllocationCreate(BaseModel):
    """Part of a program given to a registry project."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"project_id": "0b5f8a3e-3c2d-4f6a-9d1e-7a8b9c0d1e2f", "amount": "45000000.00"}]
        },
    )

    project_id: ProjectId
    amount: PositiveMoney = Field(description="Yuan; the program's allocations never add up to more than its grant.")
    allocated_on: Day | None = Field(None, description="Defaults to today; not before the grant, not in the future.")
    note: Annotated[str, Field(min_length=1, max_length=500, examples=["第一批下达"])] | None = None


class AllocationRead(BaseModel):
    id: str
    program_id: str
    project_id: str
    project_code: str
    project_name: str
    district: str
    amount: MoneyRead
    paid_amount: MoneyRead = Field(description="Paid out of the allocation, net of reversals.")
    unspent_amount: MoneyRead = Field(
        description="`amount` less `paid_amount`: the project's available funding, counted in its funding position."
    )
    allocated_on: date
    note: str | None
    created_at: datetime

"""An allocation plan (as ``POST /v1/allocation-advice`` advises one) to apply to a program, and the answer."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.common.days import Day
from services.common.money import MoneyRead, PositiveMoney
from services.financing.funds.allocations.schemas import AllocationRead
from services.financing.whitelist.schemas import ProjectId

MAX_LINES = 2_000


class PlanLineCreate(BaseModel):
    """One project's amount (an advice line's `project_id` and `amount`)."""

    model_config = ConfigDict(extra="forbid")

    project_id: ProjectId
    amount: PositiveMoney


class AdviceSource(BaseModel):
    """Which advice the plan comes from, recorded on every allocation's note."""

    model_config = ConfigDict(extra="forbid")

    model_version: Annotated[str, Field(min_length=1, max_length=100)]
    as_of: Day


class AllocationPlanCreate(BaseModel):
    """The plan's lines, each allocated to its project; all of them or none."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "plan": [
                        {"project_id": "0b5f8a3e-3c2d-4f6a-9d1e-7a8b9c0d1e2f", "amount": "45000000.00"},
                        {"project_id": "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f", "amount": "12000000.00"},
                    ],
                    "advice": {"model_version": "sc1-synthetic-0a1b2c3d4e5f", "as_of": "2025-11-25"},
                }
            ]
        },
    )

    plan: list[PlanLineCreate] = Field(min_length=1, max_length=MAX_LINES, description="One line per project.")
    allocated_on: Day | None = Field(None, description="Defaults to today; not before the grant, not in the future.")
    note: Annotated[str, Field(min_length=1, max_length=500)] | None = Field(
        None, description="Written on every allocation; by default it names the advice."
    )
    advice: AdviceSource | None = None

    @model_validator(mode="after")
    def _one_line_per_project(self) -> AllocationPlanCreate:
        ids = [line.project_id for line in self.plan]
        if len(ids) != len(set(ids)):
            raise ValueError("each project may appear in the plan once")
        return self


class AllocationPlanRead(BaseModel):
    """The allocations made, in the plan's order, and what the program has left."""

    program_id: str
    allocated: MoneyRead = Field(description="The plan's total.")
    program_allocated_amount: MoneyRead
    program_unallocated_amount: MoneyRead
    allocated_on: date
    allocations: list[AllocationRead]

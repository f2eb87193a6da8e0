"""Funding positions: what banks approved and lent to each project, for the risk service."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from services.common.money import MoneyRead

MAX_IDS = 10_000


def _boolean(value: Any) -> Any:
    # pydantic compares literals loosely, so 1 would pass for true.
    if not isinstance(value, bool):
        raise ValueError("must be the boolean true")
    return value


class FundingPositionQuery(BaseModel):
    """Either ``project_ids`` (up to 10,000) or ``all``: true."""

    model_config = ConfigDict(extra="forbid")

    project_ids: (
        Annotated[list[Annotated[str, Field(min_length=1, max_length=36)]], Field(max_length=MAX_IDS)] | None
    ) = None
    all: Annotated[Literal[True], BeforeValidator(_boolean)] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> FundingPositionQuery:
        if (self.project_ids is None) == (self.all is None):
            raise ValueError("give either project_ids or all: true")
        return self


class FundingPositionRead(BaseModel):
    project_id: str
    approved_amount: MoneyRead = Field(description="Credit approved on every line of the project.")
    disbursed_amount: MoneyRead = Field(description="Disbursed and not reversed.")
    undrawn_amount: MoneyRead = Field(description="Still available to draw on lines that have not matured.")
    credit_lines: int = Field(ge=0, description="Credit lines of the project.")
    unspent_allocations: MoneyRead = Field(
        description="Policy funds allocated to the project and not yet paid out (net of reversals): available "
        "funding alongside the undrawn credit."
    )


class FundingPositions(BaseModel):
    """The positions of the asked-for projects that have credit lines or policy-fund allocations; others are
    left out."""

    items: list[FundingPositionRead]

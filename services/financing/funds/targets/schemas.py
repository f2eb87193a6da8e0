"""The city's yearly targets for policy funds, against what was actually granted and allocated."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.common.money import MoneyRead, PositiveMoney


class TargetUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"amount_sought": "1500000000.00", "projects_to_support": 12}]}
    )

    amount_sought: PositiveMoney = Field(description="Yuan of policy funds the city means to win in the year.")
    projects_to_support: Annotated[int, Field(ge=1, le=100_000)] = Field(
        description="Projects the city means to support with them."
    )


class TargetRead(BaseModel):
    """A year's target (null when none is set) and the actual figures of the programs granted for the year."""

    year: int
    amount_sought: MoneyRead | None
    projects_to_support: int | None
    programs: int = Field(description="Programs granted for the year.")
    amount_granted: MoneyRead = Field(description="What they granted: the actual against `amount_sought`.")
    amount_allocated: MoneyRead = Field(description="What they allocated to projects.")
    amount_paid: MoneyRead = Field(description="What the projects paid out of it, net of reversals.")
    projects_supported: int = Field(description="Projects with an allocation: the actual against the target.")
    updated_at: datetime | None = Field(description="When the target was last set.")

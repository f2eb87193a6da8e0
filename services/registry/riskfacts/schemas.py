"""The bulk facts the risk service scores on."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.common.days import Day
from services.common.money import Money
from services.registry.outcomes.schemas import OutcomeKind
from services.registry.projects.status import ProjectStatus

MAX_IDS = 10_000


class RiskFactsQuery(BaseModel):
    """Either `project_ids` or `all: true`."""

    model_config = ConfigDict(extra="forbid")

    project_ids: list[Annotated[str, Field(min_length=1, max_length=36)]] | None = Field(
        None, max_length=MAX_IDS, description="Up to 10,000 ids; unknown ones are left out of the answer."
    )
    all: bool = Field(False, strict=True, description="Every project the caller may see.")
    with_outcomes: bool = Field(False, strict=True, description="Add each project's recorded outcome.")
    as_of: Day | None = Field(None, description="The day the facts are computed for; today when left out.")

    @model_validator(mode="after")
    def _one_selection(self) -> RiskFactsQuery:
        if (self.project_ids is None) == (not self.all):
            raise ValueError("give either project_ids or all: true")
        return self


class RiskFacts(BaseModel):
    stall_days: int = Field(ge=0, description="Days the stall open on `as_of` has lasted; 0 when working.")
    progress_lag_pct: Decimal = Field(
        ge=0,
        description="The progress the current plan's milestones due by `as_of` call for, less the reported "
        "progress; never below 0, and 0 once the project is completed, delivered, closed or terminated.",
        examples=["12.5"],
    )
    disputes_30d: int = Field(ge=0, description="Disputes opened in the 30 days up to `as_of`.")
    disputes_90d: int = Field(ge=0, description="Disputes opened in the 90 days up to `as_of`.")
    group_incidents_90d: int = Field(ge=0, description="Group incidents (群体事件) among `disputes_90d`.")
    overdue_days: int = Field(
        ge=0,
        description="Days past the contract delivery date, for a project not yet delivered, closed or terminated.",
    )
    remaining_cost: Money
    own_funds_available: Money


class OutcomeFacts(BaseModel):
    kind: OutcomeKind
    delivered_on: date | None


class RiskFactsItem(BaseModel):
    project_id: str
    code: str
    name: str
    district: str
    status: ProjectStatus
    contract_delivery_date: date
    sold_units: int = Field(ge=0, description="Homes sold (pre-sold) to buyers.")
    delivered_units: int = Field(ge=0, description="Homes handed over to their buyers so far.")
    facts: RiskFacts
    outcome: OutcomeFacts | None = Field(description="With `with_outcomes`: the recorded outcome, or null.")


class RiskFactsRead(BaseModel):
    as_of: date
    items: list[RiskFactsItem]

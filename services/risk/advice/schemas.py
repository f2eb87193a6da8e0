"""Request and answer of ``POST /v1/allocation-advice``."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from services.common.money import MoneyRead, PositiveMoney
from services.risk.advice.plan import Baseline, Objective
from services.risk.assessments.schemas import MAX_PROJECT_IDS, ProjectIdStr
from services.risk.model import RiskTier
from services.risk.scoring.schemas import ReasonCodeRead

DEFAULT_STEP = Decimal("1000000.00")
MAX_BUDGET_STEPS = 10_000


class AdviceMethod(StrEnum):
    """How the plan was found: `knapsack_dp`, an exact multiple-choice knapsack solved by dynamic programming over
    budget steps (every way to split the budget is accounted for)."""

    knapsack_dp = "knapsack_dp"


class ExclusionReason(StrEnum):
    """Why a project is not a candidate: `not_eligible` (delivered, closed or terminated), `funding_unknown`
    (financing sent an unreadable position), `gap_below_step` (its funding gap, after undrawn credit and unspent
    policy funds, is smaller than one step, zero included)."""

    not_eligible = "not_eligible"
    funding_unknown = "funding_unknown"
    gap_below_step = "gap_below_step"


class AdviceCreate(BaseModel):
    """A budget, the candidate projects (`project_ids`, or `all: true`), the step and the objective."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"budget": "300000000.00", "all": True},
                {
                    "budget": "50000000.00",
                    "project_ids": ["0b5f8a3e-3c2d-4f6a-9d1e-7a8b9c0d1e2f", "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f"],
                    "step": "500000.00",
                    "objective": "expected_failures",
                },
            ]
        },
    )

    budget: PositiveMoney = Field(description="Yuan to split; the plan never allocates more.")
    project_ids: list[ProjectIdStr] | None = Field(
        None, min_length=1, max_length=MAX_PROJECT_IDS, description="Up to 10,000 candidate projects."
    )
    all: StrictBool = Field(False, description="Every project in the registry is a candidate.")
    step: PositiveMoney = Field(
        DEFAULT_STEP,
        description="Every amount is a multiple of it. At most 10,000 steps fit in the budget, and candidates times "
        "steps at most 25,000,000.",
    )
    objective: Objective = Objective.expected_undelivered_units

    @model_validator(mode="after")
    def _valid(self) -> AdviceCreate:
        if (self.project_ids is None) == (not self.all):
            raise ValueError("give either project_ids or all: true")
        return self


class ContributionChange(BaseModel):
    """A feature whose points the amount changes."""

    feature: str
    points_before: int
    points_after: int


class PlanLine(BaseModel):
    """One project's share of the budget and what it is expected to do."""

    project_id: str
    code: str
    district: str
    amount: MoneyRead = Field(description="A multiple of `step`, never more than the gap.")
    gap_before: MoneyRead = Field(description="Today's funding gap (after undrawn credit and unspent policy funds).")
    gap_after: MoneyRead
    undelivered_units: int = Field(description="Sold homes not yet delivered: `sold_units - delivered_units`.")
    probability_before: float
    probability_after: float
    tier_before: RiskTier = Field(
        description="The tier today's facts compute (probability and policy rules), before any hysteresis or "
        "override: the published tier may differ."
    )
    tier_after: RiskTier = Field(description="The tier computed the same way once the amount is given.")
    score_before: int
    score_after: int
    expected_units_saved: float = Field(
        description="`undelivered_units x (probability_before - probability_after)`: homes expected to be delivered "
        "that would not have been."
    )
    changed_contributions: list[ContributionChange]
    reason_codes_before: list[ReasonCodeRead]
    reason_codes_after: list[ReasonCodeRead]


class AdviceTotals(BaseModel):
    allocated: MoneyRead
    unallocated: MoneyRead = Field(description="What the plan leaves of the budget: nothing more would help.")
    expected_units_saved: float
    expected_failures_avoided: float
    expected_undelivered_units_before: float = Field(
        description="Sum over candidates of `undelivered_units x probability_before`."
    )


class BaselineRead(BaseModel):
    """What a simple split of the same budget among the same candidates would do, under the same model."""

    name: Baseline
    allocated: MoneyRead
    expected_units_saved: float
    expected_failures_avoided: float


class Exclusion(BaseModel):
    project_id: str
    reason: ExclusionReason


class AdviceRead(BaseModel):
    """The plan, its totals, the baselines it beats or equals, and what it rests on."""

    objective: Objective
    budget: MoneyRead
    step: MoneyRead
    plan: list[PlanLine] = Field(description="Projects given money, the most homes expected saved first.")
    totals: AdviceTotals
    baselines: list[BaselineRead]
    method: AdviceMethod
    model_version: str
    thresholds_version: str
    as_of: date = Field(description="The day the registry's facts were computed for.")
    facts_read_at: datetime = Field(description="When the facts and funding positions were read.")
    candidates: int = Field(description="Projects the budget could go to.")
    excluded: list[Exclusion]
    not_found: list[str] = Field(description="Asked-for ids the registry does not know.")
    disclaimer: Annotated[str, Field(description="What the advice is not.")]

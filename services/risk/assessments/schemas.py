"""Requests and answers of ``/v1/assessments`` and ``/v1/projects/{id}/assessments``."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from services.risk.model import RiskTier
from services.risk.scoring.schemas import ContributionRead, ReasonCodeRead

MAX_PROJECT_IDS = 10_000

ProjectIdStr = Annotated[str, Field(min_length=36, max_length=36, pattern=r"^[0-9a-fA-F-]{36}$")]


class AssessmentTrigger(StrEnum):
    """What caused an assessment: `request` a call to `POST /v1/assessments`, `facts_changed` a
    `project.facts_changed` event, `funding_retry` a retry once financing answered again."""

    request = "request"  # POST /v1/assessments
    facts_changed = "facts_changed"  # a project.facts_changed event from registry
    funding_retry = "funding_retry"  # financing answered again after an assessment without funding


class AssessmentRunCreate(BaseModel):
    """Either `project_ids` or `all: true`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"project_ids": ["0b5f8a3e-3c2d-4f6a-9d1e-7a8b9c0d1e2f"]}, {"all": True}]},
    )

    project_ids: list[ProjectIdStr] | None = Field(
        None, min_length=1, max_length=MAX_PROJECT_IDS, description="Up to 10,000 project ids."
    )
    all: StrictBool = Field(False, description="Every project in the registry.")

    @model_validator(mode="after")
    def _one_selection(self) -> AssessmentRunCreate:
        if (self.project_ids is None) == (not self.all):
            raise ValueError("give either project_ids or all: true")
        return self


class AssessmentSummary(BaseModel):
    """One project's new assessment, in short."""

    project_id: str
    assessment_id: str
    probability: float
    score: int
    computed_tier: RiskTier = Field(description="The tier of this assessment alone (probability and rules).")
    tier: RiskTier = Field(description="The project's tier after hysteresis and any override.")
    previous_tier: RiskTier | None
    funding_unknown: bool


class AssessmentRunRead(BaseModel):
    """What one run of assessments did."""

    as_of: date = Field(description="The day the registry computed the facts for.")
    assessed: int
    tier_changes: int = Field(description="Projects whose tier changed (each announced as an event).")
    funding_unknown: bool = Field(description="Financing could not be reached: funding was left unknown.")
    not_found: list[str] = Field(description="Asked-for ids the registry does not know.")
    items: list[AssessmentSummary]


class AssessmentRead(BaseModel):
    """One stored assessment: what was scored, what came out, and which tier it published."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    project_id: str
    number: int = Field(description="1 for the project's first assessment, then 2, 3...")
    district: str
    created_at: datetime
    trigger: AssessmentTrigger
    facts_as_of: date
    facts: dict[str, Any] = Field(description="The facts from registry and financing the features came from.")
    features: dict[str, Any] = Field(description="The feature values scored; money as decimal strings.")
    funding_unknown: bool
    probability: float
    score: int
    contributions: list[ContributionRead]
    reason_codes: list[ReasonCodeRead]
    rules_fired: list[str]
    model_version: str
    thresholds_version: str
    computed_tier: RiskTier = Field(description="The tier of this assessment alone (probability and rules).")
    hysteresis_tier: RiskTier = Field(description="The tier after hysteresis: a fall waits for consecutive lower ones.")
    lower_streak: int = Field(description="Consecutive assessments below the tier so far.")
    override_id: str | None = Field(description="The override that set the tier, if one was in force.")
    tier: RiskTier = Field(description="The tier published after this assessment.")
    previous_tier: RiskTier | None = Field(description="The tier published before it.")

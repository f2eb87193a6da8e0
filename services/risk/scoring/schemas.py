"""Requests and answers of ``/v1/score``, ``/v1/score/batch`` and ``/v1/model``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.common.problems import Problem
from services.risk.model import FeatureInput, PolicyRule, Tier

MAX_BATCH_ITEMS = 10_000


class Features(FeatureInput):
    """The model's features with exact JSON types: counts are integers (not strings, booleans or 5.0), lag and
    ratio numbers, money a decimal string. ``FeatureInput`` alone would coerce ``"5"`` or ``true`` to 5 and 1."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ScoreRequest(BaseModel):
    """One project's features. Money is a decimal string; the funding features are null when unknown."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "features": {
                        "stall_days": 120,
                        "progress_lag_pct": 18.5,
                        "funding_gap_amount": "35000000.00",
                        "funding_gap_ratio": 0.28,
                        "disputes_30d": 2,
                        "disputes_90d": 5,
                        "group_incidents_90d": 0,
                        "overdue_days": 0,
                    }
                }
            ]
        },
    )

    features: Features


class ContributionRead(BaseModel):
    """Points one feature (or the intercept) adds to the score; all of them add up to ``score``."""

    feature: str = Field(description="A feature name, or `intercept`.")
    value: int | float | str | None = Field(
        description="The value scored: a count, a number, money as a decimal string, or null (intercept, unknown)."
    )
    points: int


class ReasonCodeRead(BaseModel):
    code: str = Field(description="A stable code, e.g. `R_STALL_LONG`.")
    zh: str
    en: str


class ScoreRead(BaseModel):
    """A scored project: calibrated probability, points, tier and why."""

    probability: float = Field(
        ge=0, le=1, description="Probability of not delivering within 12 months of the contract date."
    )
    score: int = Field(description="Points: 600 is a 5% probability; every 40 points double the odds.")
    tier: Tier
    contributions: list[ContributionRead]
    reason_codes: list[ReasonCodeRead] = Field(max_length=4, description="The main reasons, strongest first.")
    rules_fired: list[str] = Field(description="Codes of the policy rules whose condition holds.")
    funding_unknown: bool = Field(description="The funding features were null: neutral points were used.")
    model_version: str
    thresholds_version: str


class BatchItemError(BaseModel):
    """In place of an item's result: why it was not scored (pointers are relative to the item)."""

    error: Problem


class BatchScoreRead(BaseModel):
    results: list[ScoreRead | BatchItemError] = Field(description="One entry per item, in the order given.")


class ArtifactRead(BaseModel):
    file: str
    format: str
    sha256: str
    bytes: int
    trusted_types: list[str]


class ThresholdsRead(BaseModel):
    version: str
    red: float = Field(description="Lowest probability of red.")
    orange: float = Field(description="Lowest probability of orange.")
    yellow: float = Field(description="Lowest probability of yellow; below is green.")
    rationale: str


class ModelRead(BaseModel):
    """The model being served, from its model card, and the tier configuration in force."""

    name: str
    version: str
    artifact: ArtifactRead
    target: str
    intended_use: list[str]
    out_of_scope: list[str]
    limitations: list[str]
    method: str
    training_data: dict[str, Any] = Field(description="Provenance of the data the model was trained on.")
    metrics: dict[str, Any] = Field(description="AUC, Brier score and reliability on held-out projects.")
    score_scale: dict[str, Any]
    features: list[dict[str, Any]] = Field(description="The feature schema: names, units, ranges, meaning.")
    unknown_funding: str
    scorecard: dict[str, Any] = Field(description="The intercept and every feature's bins with their points.")
    reason_codes: list[dict[str, Any]]
    thresholds: ThresholdsRead
    policy_rules: list[PolicyRule] = Field(description="Rules that can only raise a tier.")
    fall_after: int = Field(description="Consecutive lower assessments before a project's tier falls.")

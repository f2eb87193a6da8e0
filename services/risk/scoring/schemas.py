"""Requests and answers of ``/v1/score``, ``/v1/score/batch`` and ``/v1/model``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from services.common.problems import Problem
from services.risk.model import Feature, FeatureInput, PolicyRule, RiskTier

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


class BatchScoreRequest(BaseModel):
    """Up to 10,000 projects' features, each item shaped like the body of `POST /v1/score`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        ScoreRequest.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
                        {
                            "features": {
                                "stall_days": 0,
                                "progress_lag_pct": 0,
                                "funding_gap_amount": None,
                                "funding_gap_ratio": None,
                                "disputes_30d": 0,
                                "disputes_90d": 0,
                                "group_incidents_90d": 0,
                                "overdue_days": 0,
                            }
                        },
                    ]
                }
            ]
        },
    )

    items: list[ScoreRequest] = Field(max_length=MAX_BATCH_ITEMS)


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
    tier: RiskTier
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


class TrainingDataRead(BaseModel):
    """Where the training data came from: synthetic histories (with the generator and seed) or the registry's
    recorded outcomes; further keys describe the source."""

    model_config = ConfigDict(extra="allow")

    source: str = Field(description="`synthetic` or `registry`.")
    tag: str = Field(description="A short name of the data set, part of the model version.")
    split_seed: int = Field(description="Seed of the stratified train / held-out split.")
    n_train: int = Field(description="Projects trained on.")
    n_holdout: int = Field(description="Projects held out for the metrics.")
    train_positive_rate: float = Field(description="Share of failures among the projects trained on.")


class ReliabilityRow(BaseModel):
    """One probability band of the held-out projects: predicted against observed failure rate."""

    bin: str = Field(description="The band of predicted probability, e.g. `0.1-0.2`.")
    n: int
    mean_predicted: float | None
    observed_rate: float | None


class TierShareRead(BaseModel):
    """How many held-out projects fell in a tier, and how many of them failed."""

    tier: RiskTier
    n: int
    share: float
    observed_rate: float | None


class MetricsRead(BaseModel):
    """How well the model did on projects it was not trained on."""

    split: str = Field(description="`holdout`.")
    n: int
    base_rate: float = Field(description="Share of failures among the held-out projects.")
    mean_probability: float
    auc: float = Field(description="Area under the ROC curve.")
    brier: float = Field(description="Brier score (lower is better).")
    log_loss: float
    calibration_intercept: float
    calibration_slope: float
    expected_calibration_error: float
    reliability: list[ReliabilityRow]
    tiers: list[TierShareRead]


class ScoreScaleRead(BaseModel):
    """How points turn into a probability."""

    base_score: int = Field(description="The score at the base odds.")
    base_odds_against: float = Field(description="Deliveries per failure at the base score.")
    pdo: int = Field(description="Points that double the odds.")
    description: str
    min_score: int
    max_score: int


class FeatureSpecRead(BaseModel):
    """One input feature: its type, unit, range and meaning in English and Chinese."""

    name: Feature
    type: str = Field(description="`integer`, `number` or `decimal string`.")
    kind: str = Field(description="`integer`, `percent`, `money` or `ratio`.")
    unit: str
    unit_zh: str
    minimum: str = Field(description="The least value, as a decimal string.")
    maximum: str | None = Field(description="The greatest value, as a decimal string; null when unbounded.")
    nullable: bool = Field(description="Whether null (unknown) is accepted.")
    description_en: str
    description_zh: str


class BinRead(BaseModel):
    """A bin of a feature: from its lower bound (inclusive) to the next bin's, worth ``points``."""

    from_: str = Field(alias="from", description="The lower bound, inclusive, as a decimal string.")
    points: int


class FeatureBinsRead(BaseModel):
    feature: Feature
    bins: list[BinRead]
    unknown_points: int | None = Field(description="Points when the value is unknown (funding features only).")


class ScorecardRead(BaseModel):
    """The whole model: the intercept's points and every feature's bins with their points."""

    intercept_points: int
    features: list[FeatureBinsRead]


class ReasonCodeSpecRead(BaseModel):
    """A reason code an explanation may give, and the features that raise it."""

    code: str
    zh: str
    en: str
    features: list[Feature]


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
    training_data: TrainingDataRead = Field(description="Provenance of the data the model was trained on.")
    metrics: MetricsRead = Field(description="AUC, Brier score and reliability on held-out projects.")
    score_scale: ScoreScaleRead
    features: list[FeatureSpecRead] = Field(description="The feature schema: names, units, ranges, meaning.")
    unknown_funding: str
    scorecard: ScorecardRead = Field(description="The intercept and every feature's bins with their points.")
    reason_codes: list[ReasonCodeSpecRead]
    thresholds: ThresholdsRead
    policy_rules: list[PolicyRule] = Field(description="Rules that can only raise a tier.")
    fall_after: int = Field(description="Consecutive lower assessments before a project's tier falls.")

"""Risk tiers: probability thresholds, policy rules that can only raise a tier, and hysteresis. Pure functions.

- ``Thresholds`` is the versioned tier configuration: the lowest probability of ``red``, ``orange`` and
  ``yellow`` (below ``yellow`` is ``green``) and the policy ``rules``. Its ``version`` names the whole
  configuration, rules included, so an assessment that stores ``thresholds_version`` can be replayed.
- A ``PolicyRule`` (``{code, feature, op, value, min_tier}``) sets a floor under the tier when a feature crosses
  a value. Only ``>=`` and ``>`` exist, so a rule fires more often as a driver rises: rules keep the tier
  monotone in every driver, as the probability is. A rule on an unknown (``None``) feature does not fire.
- ``next_tier`` applies hysteresis: a tier rises at once and falls only after ``fall_after`` consecutive
  lower assessments, to the tier of the assessment that completes the streak.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .features import Feature


class RiskTier(StrEnum):
    """A risk tier (风险等级), from lowest to highest: `green` 绿, `yellow` 黄, `orange` 橙, `red` 红."""

    green = "green"
    yellow = "yellow"
    orange = "orange"
    red = "red"


TIER_ORDER: tuple[RiskTier, ...] = (RiskTier.green, RiskTier.yellow, RiskTier.orange, RiskTier.red)
_RANK = {tier: rank for rank, tier in enumerate(TIER_ORDER)}


def tier_rank(tier: RiskTier) -> int:
    """0 for green up to 3 for red."""
    return _RANK[tier]


class RuleOp(StrEnum):
    """Comparisons a policy rule may use, only `>=` (at least, 不低于) and `>` (more than, 高于), so rules never
    lower risk."""

    ge = ">="
    gt = ">"


class PolicyRule(BaseModel):
    """When ``feature op value`` holds, the tier is at least ``min_tier``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^P_[A-Z0-9_]+$")
    feature: Feature
    op: RuleOp
    value: Decimal = Field(ge=0)
    min_tier: RiskTier
    zh: str
    en: str

    def fires(self, features: Mapping[str, Any]) -> bool:
        """Whether the rule holds for these feature values (never for an unknown value)."""
        value = features[self.feature.value]
        if value is None:
            return False
        return bool(value >= self.value) if self.op is RuleOp.ge else bool(value > self.value)


DEFAULT_RULES: tuple[PolicyRule, ...] = (
    PolicyRule(
        code="P_GROUP_INCIDENT_90D",
        feature=Feature.group_incidents_90d,
        op=RuleOp.ge,
        value=Decimal(1),
        min_tier=RiskTier.orange,
        zh="近 90 天发生群体事件，至少为橙色",
        en="A group incident in the last 90 days: at least orange",
    ),
    PolicyRule(
        code="P_STALL_180D",
        feature=Feature.stall_days,
        op=RuleOp.ge,
        value=Decimal(180),
        min_tier=RiskTier.red,
        zh="停工 180 天及以上，为红色",
        en="Stalled for 180 days or more: red",
    ),
    PolicyRule(
        code="P_OVERDUE_365D",
        feature=Feature.overdue_days,
        op=RuleOp.ge,
        value=Decimal(365),
        min_tier=RiskTier.red,
        zh="逾期交付 365 天及以上，为红色",
        en="365 days or more past the contract delivery date: red",
    ),
)


class Thresholds(BaseModel):
    """Versioned tier configuration: lowest probability of each tier above green, and the policy rules.

    Raises ``pydantic.ValidationError`` unless ``0 < yellow < orange < red <= 1`` and rule codes are unique.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(min_length=1)
    red: float = Field(gt=0, le=1)
    orange: float = Field(gt=0, le=1)
    yellow: float = Field(gt=0, le=1)
    rules: tuple[PolicyRule, ...] = DEFAULT_RULES

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if not self.yellow < self.orange < self.red:
            raise ValueError("thresholds must satisfy yellow < orange < red")
        codes = [rule.code for rule in self.rules]
        if len(codes) != len(set(codes)):
            raise ValueError("policy rule codes must be unique")
        return self


DEFAULT_THRESHOLDS = Thresholds(version="2025-11-25.1", red=0.60, orange=0.30, yellow=0.10)

THRESHOLDS_RATIONALE = (
    "Thresholds are on the calibrated probability that a project is not delivered within 12 months of its "
    "contract date. red >= 0.60: failure is more likely than not, with a margin; the project needs the city "
    "coordination mechanism now. orange >= 0.30: about the failure rate of the whole ledger in the training "
    "data (see the base rate below) or worse, so worse than a typical troubled project; weekly district "
    "dispatch. yellow >= 0.10: at least twice the 5% anchor of the points scale; watch in the monthly "
    "bulletin. green < 0.10. Policy rules then put a floor under the tier for facts that need action "
    "whatever the model says: a group incident in 90 days (orange), a stall of 180 days or more (red) and "
    "365 days or more past the contract date (red, the project has already failed the 12-month target)."
)


@dataclass(frozen=True, slots=True)
class TierDecision:
    """The tier of one assessment: from the probability, raised by the rules that fired."""

    tier: RiskTier
    probability_tier: RiskTier
    rules_fired: list[str]


def tier_for_probability(probability: float, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> RiskTier:
    """The tier of a probability alone (each threshold is the lowest probability of its tier)."""
    if probability >= thresholds.red:
        return RiskTier.red
    if probability >= thresholds.orange:
        return RiskTier.orange
    if probability >= thresholds.yellow:
        return RiskTier.yellow
    return RiskTier.green


def decide_tier(
    probability: float, features: Mapping[str, Any], thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> TierDecision:
    """The tier from the probability, raised to the ``min_tier`` of every rule that fires.

    ``rules_fired`` lists every rule whose condition holds, in configuration order, even when the tier from
    the probability is already as high. Raises ``KeyError`` when a rule's feature is missing.
    """
    from_probability = tier_for_probability(probability, thresholds)
    rank = _RANK[from_probability]
    fired: list[str] = []
    for rule in thresholds.rules:
        if rule.fires(features):
            fired.append(rule.code)
            rank = max(rank, _RANK[rule.min_tier])
    return TierDecision(TIER_ORDER[rank], from_probability, fired)


def next_tier(
    previous_tier: RiskTier | None, previous_lower_streak: int, computed_tier: RiskTier, fall_after: int
) -> tuple[RiskTier, int]:
    """The tier to publish and the new count of consecutive lower assessments.

    A higher (or first) computed tier is taken at once and resets the streak; an equal one keeps the tier and
    resets the streak; a lower one counts, and the tier falls to the computed tier when the streak reaches
    ``fall_after`` (``fall_after=1`` means no hysteresis). Raises ``ValueError`` when ``fall_after < 1`` or the
    streak is negative.
    """
    if fall_after < 1:
        raise ValueError("fall_after must be at least 1")
    if previous_lower_streak < 0:
        raise ValueError("previous_lower_streak must not be negative")
    if previous_tier is None or _RANK[computed_tier] >= _RANK[previous_tier]:
        return computed_tier, 0
    streak = previous_lower_streak + 1
    if streak >= fall_after:
        return computed_tier, 0
    return previous_tier, streak

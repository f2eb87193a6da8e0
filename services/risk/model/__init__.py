"""The risk model core: feature schema, synthetic data, monotone points scorecard, training and tiers.

Pure Python (no web framework, no database). ``decide_tier`` is the reference definition of a tier::

    from services.risk.model import load_model, parse_features, decide_tier, next_tier, DEFAULT_THRESHOLDS

    model = load_model()                     # verified against model_card.json, skops with trusted=[]
    features = parse_features(body["features"])          # pydantic.ValidationError -> 422
    explanation = model.explain(features)                # or model.explain_many([...]) for a batch
    decision = decide_tier(explanation.probability, features, DEFAULT_THRESHOLDS)
    tier, streak = next_tier(previous_tier, previous_streak, decision.tier, fall_after=3)

The HTTP service does not call ``decide_tier`` per project: ``services.risk.scoring.engine.TierPolicy`` compiles
the thresholds and rules once and decides exactly as ``decide_tier`` does (a test holds them equal), and the
assessments apply ``next_tier`` and overrides through ``services.risk.assessments.decisions``.

Training lives in ``services.risk.model.train`` (also the command line), not imported here.
"""

from .artifact import ArtifactError, ArtifactIntegrityError, load_model
from .features import FEATURE_NAMES, FEATURES, Feature, FeatureInput, FeatureSpec, FeatureValues, parse_features
from .scorecard import Contribution, Explanation, ReasonCode, ReasonCodeId, RiskModel
from .tiers import (
    DEFAULT_THRESHOLDS,
    PolicyRule,
    RiskTier,
    RuleOp,
    Thresholds,
    TierDecision,
    decide_tier,
    next_tier,
    tier_for_probability,
)

__all__ = [
    "DEFAULT_THRESHOLDS",
    "FEATURES",
    "FEATURE_NAMES",
    "ArtifactError",
    "ArtifactIntegrityError",
    "Contribution",
    "Explanation",
    "Feature",
    "FeatureInput",
    "FeatureSpec",
    "FeatureValues",
    "PolicyRule",
    "ReasonCode",
    "ReasonCodeId",
    "RiskModel",
    "RiskTier",
    "RuleOp",
    "Thresholds",
    "TierDecision",
    "decide_tier",
    "load_model",
    "next_tier",
    "parse_features",
    "tier_for_probability",
]

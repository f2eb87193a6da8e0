from __future__ import annotations

from decimal import Decimal

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.risk.model.features import FEATURE_NAMES
from services.risk.model.tiers import (
    DEFAULT_THRESHOLDS,
    TIER_ORDER,
    PolicyRule,
    RiskTier,
    Thresholds,
    decide_tier,
    next_tier,
    tier_for_probability,
    tier_rank,
)

QUIET = dict.fromkeys(FEATURE_NAMES, 0) | {"funding_gap_amount": Decimal(0), "funding_gap_ratio": 0.0}
tiers = st.sampled_from(TIER_ORDER)


@pytest.mark.parametrize(
    ("probability", "tier"),
    [
        (0.0, RiskTier.green),
        (0.0999, RiskTier.green),
        (0.1, RiskTier.yellow),
        (0.2999, RiskTier.yellow),
        (0.3, RiskTier.orange),
        (0.5999, RiskTier.orange),
        (0.6, RiskTier.red),
        (1.0, RiskTier.red),
    ],
)
def test_each_threshold_is_the_lowest_probability_of_its_tier(probability, tier):
    assert tier_for_probability(probability, DEFAULT_THRESHOLDS) is tier


def test_thresholds_must_be_ordered_and_rule_codes_unique():
    with pytest.raises(pydantic.ValidationError):
        Thresholds(version="x", red=0.3, orange=0.6, yellow=0.1)
    with pytest.raises(pydantic.ValidationError):
        Thresholds(version="x", red=0.6, orange=0.3, yellow=0.1, rules=DEFAULT_THRESHOLDS.rules * 2)
    with pytest.raises(pydantic.ValidationError):
        Thresholds(version="", red=0.6, orange=0.3, yellow=0.1)


def test_thresholds_load_from_configuration_json():
    config = DEFAULT_THRESHOLDS.model_dump_json()
    assert Thresholds.model_validate_json(config) == DEFAULT_THRESHOLDS


def test_rules_may_only_use_rising_comparisons():
    rule = DEFAULT_THRESHOLDS.rules[0].model_dump()
    with pytest.raises(pydantic.ValidationError):
        PolicyRule.model_validate({**rule, "op": "<"})
    with pytest.raises(pydantic.ValidationError):
        PolicyRule.model_validate({**rule, "feature": "developer_mood"})


@pytest.mark.parametrize(
    ("change", "tier", "fired"),
    [
        ({}, RiskTier.green, []),
        ({"group_incidents_90d": 1}, RiskTier.orange, ["P_GROUP_INCIDENT_90D"]),
        ({"stall_days": 179}, RiskTier.green, []),
        ({"stall_days": 180}, RiskTier.red, ["P_STALL_180D"]),
        ({"overdue_days": 365}, RiskTier.red, ["P_OVERDUE_365D"]),
        ({"group_incidents_90d": 2, "stall_days": 400}, RiskTier.red, ["P_GROUP_INCIDENT_90D", "P_STALL_180D"]),
    ],
)
def test_policy_rules_raise_the_tier(change, tier, fired):
    decision = decide_tier(0.01, QUIET | change)
    assert decision.tier is tier
    assert decision.probability_tier is RiskTier.green
    assert decision.rules_fired == fired


def test_rules_never_lower_a_tier_and_still_report_that_they_fired():
    decision = decide_tier(0.95, QUIET | {"group_incidents_90d": 1})
    assert decision.tier is RiskTier.red
    assert decision.rules_fired == ["P_GROUP_INCIDENT_90D"]


def test_a_rule_on_an_unknown_value_does_not_fire():
    rule = PolicyRule(
        code="P_BIG_GAP",
        feature="funding_gap_ratio",
        op=">",
        value=Decimal("0.5"),
        min_tier=RiskTier.orange,
        zh="资金缺口过半",
        en="Gap above half",
    )
    thresholds = Thresholds(version="t", red=0.6, orange=0.3, yellow=0.1, rules=(rule,))
    assert decide_tier(0.0, QUIET | {"funding_gap_ratio": None}, thresholds).tier is RiskTier.green
    assert decide_tier(0.0, QUIET | {"funding_gap_ratio": 0.5}, thresholds).tier is RiskTier.green
    assert decide_tier(0.0, QUIET | {"funding_gap_ratio": 0.51}, thresholds).tier is RiskTier.orange


@settings(max_examples=400, deadline=None)
@given(
    p=st.floats(0, 1),
    q=st.floats(0, 1),
    stall=st.integers(0, 1000),
    overdue=st.integers(0, 1000),
    group=st.integers(0, 5),
    extra=st.integers(0, 400),
)
def test_decide_tier_is_monotone_in_probability_and_drivers(p, q, stall, overdue, group, extra):
    low, high = sorted((p, q))
    before = QUIET | {"stall_days": stall, "overdue_days": overdue, "group_incidents_90d": group}
    after = before | {"stall_days": stall + extra, "overdue_days": overdue + extra, "group_incidents_90d": group + 1}
    assert tier_rank(decide_tier(high, after).tier) >= tier_rank(decide_tier(low, before).tier)


def test_a_tier_rises_at_once():
    assert next_tier(RiskTier.green, 2, RiskTier.red, fall_after=3) == (RiskTier.red, 0)
    assert next_tier(None, 0, RiskTier.yellow, fall_after=3) == (RiskTier.yellow, 0)


def test_a_tier_falls_only_after_enough_consecutive_lower_assessments():
    tier, streak = RiskTier.red, 0
    published = []
    for computed in (RiskTier.orange, RiskTier.green, RiskTier.yellow):
        tier, streak = next_tier(tier, streak, computed, fall_after=3)
        published.append((tier, streak))
    assert published == [(RiskTier.red, 1), (RiskTier.red, 2), (RiskTier.yellow, 0)]


def test_an_equal_or_higher_assessment_resets_the_streak():
    assert next_tier(RiskTier.red, 2, RiskTier.red, fall_after=3) == (RiskTier.red, 0)
    tier, streak = next_tier(RiskTier.orange, 0, RiskTier.green, fall_after=2)
    assert (tier, streak) == (RiskTier.orange, 1)
    tier, streak = next_tier(tier, streak, RiskTier.orange, fall_after=2)
    assert (tier, streak) == (RiskTier.orange, 0)
    assert next_tier(tier, streak, RiskTier.green, fall_after=2) == (RiskTier.orange, 1)


def test_fall_after_one_means_no_hysteresis_and_bad_arguments_are_refused():
    assert next_tier(RiskTier.red, 0, RiskTier.green, fall_after=1) == (RiskTier.green, 0)
    with pytest.raises(ValueError):
        next_tier(RiskTier.red, 0, RiskTier.green, fall_after=0)
    with pytest.raises(ValueError):
        next_tier(RiskTier.red, -1, RiskTier.green, fall_after=2)


@settings(max_examples=300, deadline=None)
@given(computed=st.lists(tiers, min_size=1, max_size=30), fall_after=st.integers(1, 5))
def test_hysteresis_invariants(computed, fall_after):
    tier, streak = None, 0
    history: list[RiskTier] = []
    for step, current in enumerate(computed):
        previous = tier
        tier, streak = next_tier(tier, streak, current, fall_after)
        history.append(current)
        assert tier_rank(tier) >= tier_rank(current)
        if previous is not None and tier_rank(tier) < tier_rank(previous):
            # A fall needs fall_after consecutive assessments below the tier that was published.
            assert step + 1 >= fall_after
            assert all(tier_rank(t) < tier_rank(previous) for t in history[-fall_after:])
            assert tier is current

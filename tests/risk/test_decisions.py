"""The assessment's decisions alone: which overrides still apply, and the tier published."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from services.risk.assessments import decisions
from services.risk.assessments.facts import ProjectInputs
from services.risk.model import RiskTier

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class _Override:
    expires_at: datetime


def test_an_override_applies_until_the_moment_it_expires() -> None:
    overrides = {
        "a": _Override(NOW + timedelta(seconds=1)),
        "b": _Override(NOW),
        "c": _Override(NOW - timedelta(days=1)),
    }
    in_force, expired = decisions.split_expired(overrides, NOW)
    assert list(in_force) == ["a"]
    assert sorted(expired) == ["b", "c"]


def test_a_higher_tier_is_published_at_once_and_a_lower_one_only_after_the_streak() -> None:
    up = decisions.publish(RiskTier.red, "yellow", 2, None, fall_after=3)
    assert (up.tier, up.hysteresis_tier, up.lower_streak) == (RiskTier.red, RiskTier.red, 0)
    held = decisions.publish(RiskTier.green, "orange", 1, None, fall_after=3)
    assert (held.tier, held.lower_streak) == (RiskTier.orange, 2)
    assert not held.changes("orange")
    fallen = decisions.publish(RiskTier.green, "orange", 2, None, fall_after=3)
    assert (fallen.tier, fallen.lower_streak) == (RiskTier.green, 0)
    assert fallen.changes("orange")


def test_an_override_is_published_over_the_model_while_hysteresis_keeps_counting() -> None:
    published = decisions.publish(RiskTier.green, "orange", 1, "red", fall_after=3)
    assert published.tier is RiskTier.red
    assert (published.hysteresis_tier, published.lower_streak) == (RiskTier.orange, 2)


def test_a_first_assessment_takes_the_computed_tier() -> None:
    published = decisions.publish(RiskTier.yellow, None, 0, None, fall_after=3)
    assert (published.tier, published.lower_streak) == (RiskTier.yellow, 0)
    assert published.changes(None)


def test_hysteresis_needs_a_streak_of_at_least_one() -> None:
    with pytest.raises(ValueError):
        decisions.publish(RiskTier.red, None, 0, None, fall_after=0)


def test_the_rows_record_the_decision() -> None:
    project = ProjectInputs("p-1", "990101", {"stall_days": 3}, {"stall_days": 3, "funding_gap_amount": None})
    result = {
        "tier": RiskTier.green,
        "funding_unknown": False,
        "probability": 0.12,
        "score": 610,
        "contributions": [],
        "reason_codes": [],
        "rules_fired": [],
        "model_version": "m1",
        "thresholds_version": "t1",
    }
    published = decisions.publish(RiskTier.green, "orange", 1, None, fall_after=3)
    context = decisions.Context("manual", date(2026, 3, 1), NOW, "req-1")
    row = decisions.assessment_row(
        project, result, published, number=4, previous_tier="orange", override_id=None, context=context
    )
    assert row["number"] == 4
    assert (row["computed_tier"], row["hysteresis_tier"], row["tier"], row["lower_streak"]) == (
        "green",
        "orange",
        "orange",
        2,
    )
    assert (row["request_id"], row["created_at"], row["trigger"]) == ("req-1", NOW, "manual")
    state = decisions.state_row(row)
    assert state == {
        "project_id": "p-1",
        "district": "990101",
        "assessments": 4,
        "last_assessment_id": row["id"],
        "hysteresis_tier": "orange",
        "lower_streak": 2,
        "tier": "orange",
        "funding_unknown": False,
        "updated_at": NOW,
    }
    assert decisions.summary(row) == {
        "project_id": "p-1",
        "assessment_id": row["id"],
        "probability": 0.12,
        "score": 610,
        "computed_tier": "green",
        "tier": "orange",
        "previous_tier": "orange",
        "funding_unknown": False,
    }

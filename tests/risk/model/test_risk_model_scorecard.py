from __future__ import annotations

import copy
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.risk.model import FEATURE_NAMES, RiskModel, decide_tier
from services.risk.model.features import SPECS, FeatureKind
from services.risk.model.scorecard import (
    MAX_REASON_CODES,
    REASON_BY_FEATURE,
    InvalidScorecard,
    ReasonCodeId,
    fit_scorecard,
)
from services.risk.model.tiers import tier_rank

MANY = settings(max_examples=600, deadline=None)

days = st.integers(min_value=0, max_value=3000)
counts = st.integers(min_value=0, max_value=60)
lags = st.floats(min_value=0, max_value=100, allow_nan=False)
ratios = st.floats(min_value=0, max_value=1, allow_nan=False)
amounts = st.decimals(min_value=0, max_value=Decimal("5000000000"), places=2, allow_nan=False)
UPPER = {"progress_lag_pct": 100.0, "funding_gap_ratio": 1.0}


@st.composite
def projects(draw, funding_may_be_unknown=True):
    known = not funding_may_be_unknown or draw(st.booleans())
    return {
        "stall_days": draw(days),
        "progress_lag_pct": draw(lags),
        "funding_gap_amount": draw(amounts) if known else None,
        "funding_gap_ratio": draw(ratios) if known else None,
        "disputes_30d": draw(counts),
        "disputes_90d": draw(counts),
        "group_incidents_90d": draw(counts),
        "overdue_days": draw(days),
    }


@st.composite
def raised(draw, project):
    """The project with a non-empty subset of its known drivers raised by positive amounts."""
    names = [n for n in FEATURE_NAMES if project[n] is not None]
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
    higher = dict(project)
    for name in chosen:
        kind = SPECS[name].kind
        if kind is FeatureKind.integer:
            higher[name] = project[name] + draw(st.integers(min_value=1, max_value=2000))
        elif kind is FeatureKind.money:
            higher[name] = project[name] + draw(amounts.filter(lambda a: a > 0))
        else:
            higher[name] = min(UPPER[name], project[name] + draw(st.floats(min_value=1e-9, max_value=100)))
    return higher


@MANY
@given(data=st.data())
def test_raising_any_driver_never_lowers_probability_score_or_tier(shipped_model: RiskModel, data):
    model = shipped_model
    low = data.draw(projects())
    high = data.draw(raised(low))
    before, after = model.explain(low), model.explain(high)
    assert after.score >= before.score
    assert after.probability >= before.probability
    tier_before = decide_tier(before.probability, low).tier
    tier_after = decide_tier(after.probability, high).tier
    assert tier_rank(tier_after) >= tier_rank(tier_before)


@MANY
@given(project=projects())
def test_contributions_add_up_exactly_to_the_score(shipped_model: RiskModel, project):
    model = shipped_model
    explanation = model.explain(project)
    assert sum(c["points"] for c in explanation.contributions) == explanation.score
    assert [c["feature"] for c in explanation.contributions] == ["intercept", *FEATURE_NAMES]
    assert all(isinstance(c["points"], int) for c in explanation.contributions)
    assert [c["value"] for c in explanation.contributions[1:]] == [project[n] for n in FEATURE_NAMES]
    assert explanation.probability == model.scale.probability(explanation.score)
    assert explanation.model_version == model.version


@MANY
@given(project=projects())
def test_reason_codes_are_the_features_adding_the_most_points(shipped_model: RiskModel, project):
    explanation = shipped_model.explain(project)
    assert len(explanation.reason_codes) <= MAX_REASON_CODES
    by_code: dict[str, int] = {}
    for c in explanation.contributions[1:]:
        if project[c["feature"]] is not None:
            code = REASON_BY_FEATURE[c["feature"]]
            by_code[code] = by_code.get(code, 0) + c["points"]
    cited = [r.code for r in explanation.reason_codes]
    assert all(by_code[code] > 0 for code in cited)
    points = [by_code[code] for code in cited]
    assert points == sorted(points, reverse=True)
    left_out = [p for code, p in by_code.items() if code not in cited and p > 0]
    assert not left_out or (len(cited) == MAX_REASON_CODES and max(left_out) <= min(points))
    assert all(r.zh and r.en for r in explanation.reason_codes)
    if explanation.funding_unknown:
        assert ReasonCodeId.R_FUNDING_GAP not in cited


def test_unknown_funding_gets_neutral_points_and_is_flagged(shipped_model: RiskModel):
    base = {
        "stall_days": 0,
        "progress_lag_pct": 0.0,
        "funding_gap_amount": Decimal("0.00"),
        "funding_gap_ratio": 0.0,
        "disputes_30d": 0,
        "disputes_90d": 0,
        "group_incidents_90d": 0,
        "overdue_days": 0,
    }
    known = shipped_model.explain(base)
    unknown = shipped_model.explain({**base, "funding_gap_amount": None, "funding_gap_ratio": None})
    assert not known.funding_unknown and unknown.funding_unknown
    neutral = {f["name"]: f["unknown_points"] for f in shipped_model.spec["features"]}
    points = {c["feature"]: c["points"] for c in unknown.contributions}
    assert points["funding_gap_amount"] == neutral["funding_gap_amount"]
    assert points["funding_gap_ratio"] == neutral["funding_gap_ratio"]
    assert ReasonCodeId.R_FUNDING_GAP not in [r.code for r in unknown.reason_codes]


def test_money_is_compared_exactly_at_the_bin_edges(shipped_model: RiskModel):
    feature = next(f for f in shipped_model.spec["features"] if f["name"] == "funding_gap_amount")
    assert feature["edges"], "the shipped model has funding amount bins"
    project = dict.fromkeys(FEATURE_NAMES, 0) | {"progress_lag_pct": 0.0, "funding_gap_ratio": 0.0}
    for edge, points in zip(feature["edges"], feature["points"][1:], strict=True):
        at = shipped_model.explain({**project, "funding_gap_amount": Decimal(edge)})
        below = shipped_model.explain({**project, "funding_gap_amount": Decimal(edge) - Decimal("0.01")})
        assert at.contributions[3]["points"] == points
        assert below.contributions[3]["points"] < points


def test_percent_and_ratio_edges_treat_decimal_and_float_alike(shipped_model: RiskModel):
    project = dict.fromkeys(FEATURE_NAMES, 0) | {"funding_gap_amount": Decimal(0)}
    for name in ("progress_lag_pct", "funding_gap_ratio"):
        feature = next(f for f in shipped_model.spec["features"] if f["name"] == name)
        for edge in feature["edges"]:
            as_float = shipped_model.explain({**project, name: float(edge)}).score
            as_decimal = shipped_model.explain({**project, name: Decimal(edge)}).score
            assert as_float == as_decimal


def test_explain_many_equals_explain_one_by_one(shipped_model: RiskModel):
    items = [
        dict.fromkeys(FEATURE_NAMES, n) | {"funding_gap_amount": Decimal(n * 1000), "funding_gap_ratio": n / 40}
        for n in range(40)
    ]
    assert shipped_model.explain_many(items) == [shipped_model.explain(item) for item in items]


def test_a_value_that_cannot_be_scored_is_refused(shipped_model: RiskModel):
    project = dict.fromkeys(FEATURE_NAMES, 0) | {"stall_days": None}
    with pytest.raises(ValueError, match="stall_days"):
        shipped_model.explain(project)
    with pytest.raises(KeyError):
        shipped_model.explain({"stall_days": 1})


def test_fit_is_monotone_even_when_the_data_say_otherwise():
    # Failures concentrate where stall_days is LOW; the fitted stall points must still never fall.
    records, labels = [], []
    for i in range(3000):
        stall = i % 300
        records.append(
            dict.fromkeys(FEATURE_NAMES, 0)
            | {"stall_days": stall, "progress_lag_pct": float(i % 7), "funding_gap_amount": Decimal(i)}
        )
        labels.append(1 if (stall < 100) != (i % 5 == 0) else 0)
    spec = fit_scorecard(records, labels, {"tag": "test"})
    for feature in spec["features"]:
        assert feature["points"] == sorted(feature["points"]), feature
    stall = next(f for f in spec["features"] if f["name"] == "stall_days")
    assert stall["points"] == [0]
    RiskModel(spec)


def test_negative_steps_are_merged_away_when_a_driver_only_looks_risky_by_association():
    # disputes_90d rises with stalls (so its raw failure rate rises) but, stall for stall, lowers failure:
    # the regression would give it a negative step, which the fit must drop instead of serving.
    rng = np.random.default_rng(4)
    records, labels = [], []
    for _ in range(6000):
        stalled = rng.random() < 0.4
        disputes = int(rng.random() < (0.9 if stalled else 0.1)) * 3
        p = (0.85 if stalled else 0.1) - (0.25 if disputes else 0.0) + 0.2 * (stalled and not disputes)
        records.append(
            dict.fromkeys(FEATURE_NAMES, 0)
            | {
                "stall_days": 120 if stalled else 0,
                "disputes_90d": disputes,
                "progress_lag_pct": 0.0,
                "funding_gap_amount": Decimal(0),
            }
        )
        labels.append(int(rng.random() < p))
    spec = fit_scorecard(records, labels, {"tag": "test"})
    disputes = next(f for f in spec["features"] if f["name"] == "disputes_90d")
    assert disputes["points"] == [0]
    assert spec["logistic_regression"]["steps_dropped"] >= 1
    assert all(c["coef"] > 0 for c in spec["logistic_regression"]["coefficients"])


@pytest.mark.parametrize(
    ("feature", "change", "message"),
    [
        ("stall_days", {"points": [0, 10, 5]}, "fall"),
        ("stall_days", {"points": [3, 10, 12]}, "lowest bin"),
        ("stall_days", {"edges": ["30", "10"]}, "ascending"),
        ("funding_gap_amount", {"unknown_points": None}, "unknown_points"),
        ("stall_days", {"unknown_points": 1}, "unknown_points"),
    ],
)
def test_a_malformed_scorecard_is_refused(shipped_model: RiskModel, feature, change, message):
    spec = copy.deepcopy(dict(shipped_model.spec))
    entry = next(f for f in spec["features"] if f["name"] == feature)
    if "edges" in change or "points" in change:
        entry["edges"], entry["points"] = ["10", "30"], [0, 10, 20]
    entry.update(change)
    with pytest.raises(InvalidScorecard, match=message):
        RiskModel(spec)


def test_feature_order_and_format_are_checked(shipped_model: RiskModel):
    spec = copy.deepcopy(dict(shipped_model.spec))
    spec["features"].reverse()
    with pytest.raises(InvalidScorecard):
        RiskModel(spec)
    with pytest.raises(InvalidScorecard):
        RiskModel({**shipped_model.spec, "format": 99})


def test_probability_rises_with_the_score_on_the_whole_range(shipped_model: RiskModel):
    scale = shipped_model.scale
    probabilities = [scale.probability(s) for s in range(shipped_model.min_score, shipped_model.max_score + 1)]
    assert probabilities == sorted(probabilities)
    assert scale.probability(scale.base_score) == pytest.approx(1 / (1 + scale.base_odds_against), abs=1e-4)

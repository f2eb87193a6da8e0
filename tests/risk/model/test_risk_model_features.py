from __future__ import annotations

import typing
from decimal import Decimal

import pydantic
import pytest

from services.risk.model.features import (
    FEATURE_NAMES,
    FEATURES,
    FUNDING_FEATURES,
    FeatureInput,
    FeatureKind,
    FeatureValues,
    funding_gap,
    funding_gap_ratio,
    parse_features,
    schema,
)

VALID = {
    "stall_days": 10,
    "progress_lag_pct": 3.5,
    "funding_gap_amount": "1250000.00",
    "funding_gap_ratio": 0.1,
    "disputes_30d": 1,
    "disputes_90d": 2,
    "group_incidents_90d": 0,
    "overdue_days": 0,
}


def test_schema_names_match_the_input_model_and_the_typed_dict():
    assert list(FeatureInput.model_fields) == list(FEATURE_NAMES)
    assert list(typing.get_type_hints(FeatureValues)) == list(FEATURE_NAMES)
    assert sorted(FUNDING_FEATURES) == ["funding_gap_amount", "funding_gap_ratio"]


def test_schema_documents_every_feature_in_both_languages():
    entries = schema()
    assert [e["name"] for e in entries] == list(FEATURE_NAMES)
    for entry in entries:
        assert entry["unit"] and entry["unit_zh"] and entry["description_en"] and entry["description_zh"]
    money = next(e for e in entries if e["name"] == "funding_gap_amount")
    assert money["type"] == "decimal string" and money["nullable"] is True


def test_parse_keeps_money_as_decimal():
    values = parse_features(VALID)
    assert values["funding_gap_amount"] == Decimal("1250000.00")
    assert isinstance(values["funding_gap_amount"], Decimal)


def test_parse_accepts_unknown_funding():
    values = parse_features({**VALID, "funding_gap_amount": None, "funding_gap_ratio": None})
    assert values["funding_gap_amount"] is None and values["funding_gap_ratio"] is None


@pytest.mark.parametrize(
    "change",
    [
        {"stall_days": -1},
        {"overdue_days": -5},
        {"disputes_30d": -1},
        {"funding_gap_ratio": 1.5},
        {"funding_gap_ratio": -0.1},
        {"progress_lag_pct": 100.5},
        {"progress_lag_pct": float("nan")},
        {"funding_gap_amount": "-1.00"},
        {"funding_gap_amount": "1.005"},
        {"funding_gap_amount": 1250000.5},
        {"unexpected": 1},
    ],
)
def test_parse_refuses_bad_values(change):
    with pytest.raises(pydantic.ValidationError):
        parse_features({**VALID, **change})


def test_parse_refuses_a_missing_feature_even_a_nullable_one():
    for name in FEATURE_NAMES:
        with pytest.raises(pydantic.ValidationError):
            parse_features({k: v for k, v in VALID.items() if k != name})


def test_funding_gap_is_floored_at_zero_and_exact():
    assert funding_gap(Decimal("100.00"), Decimal("30.00"), Decimal("20.01")) == Decimal("49.99")
    assert funding_gap(Decimal("100.00"), Decimal("80.00"), Decimal("50.00")) == Decimal("0.00")
    with pytest.raises(ValueError):
        funding_gap(Decimal("-1"), Decimal(0), Decimal(0))


def test_funding_gap_ratio():
    assert funding_gap_ratio(Decimal("25.00"), Decimal("100.00")) == Decimal("0.2500")
    assert funding_gap_ratio(Decimal("0.00"), Decimal("0.00")) == Decimal("0.0000")
    with pytest.raises(ValueError):
        funding_gap_ratio(Decimal("-1"), Decimal(1))


def test_only_funding_features_are_nullable_and_money_is_the_only_money():
    assert {f.name.value for f in FEATURES if f.nullable} == FUNDING_FEATURES
    assert [f.name.value for f in FEATURES if f.kind is FeatureKind.money] == ["funding_gap_amount"]

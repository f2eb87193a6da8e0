from __future__ import annotations

from dataclasses import fields
from decimal import Decimal

import numpy as np
import pytest

from services.risk.model.features import parse_features
from services.risk.model.synthetic import generate


def _columns(data):
    return {f.name: getattr(data, f.name) for f in fields(data) if f.name != "seed"}


def test_same_seed_gives_identical_projects():
    a, b = _columns(generate(2000, 11)), _columns(generate(2000, 11))
    for name in a:
        assert np.array_equal(a[name], b[name]), name


def test_another_seed_gives_other_projects():
    assert not np.array_equal(generate(2000, 11).label, generate(2000, 12).label)


def test_values_respect_the_feature_schema_and_their_definitions():
    data = generate(5000, 3)
    assert (data.disputes_30d <= data.disputes_90d).all()
    assert (data.group_incidents_90d <= data.disputes_90d).all()
    assert ((data.progress_lag_pct >= 0) & (data.progress_lag_pct <= 100)).all()
    assert ((data.funding_gap_ratio >= 0) & (data.funding_gap_ratio <= 1)).all()
    assert (data.funding_gap_fen >= 0).all() and (data.stall_days >= 0).all() and (data.overdue_days >= 0).all()
    # 365 days past the contract date without delivery is a failure by definition.
    assert data.label[data.overdue_days >= 365].all()


def test_records_are_valid_feature_values_with_exact_money():
    records = generate(200, 5).records()
    for record in records:
        features = {k: v for k, v in record.items() if k != "label"}
        assert parse_features(features) == features
        assert record["funding_gap_amount"] == record["funding_gap_amount"].quantize(Decimal("0.01"))


def test_the_causal_story_holds_in_the_data():
    data = generate(20000, 20251125)
    label = data.label
    assert 0.15 < label.mean() < 0.45
    assert label[data.stall_days > 0].mean() > 2 * label[data.stall_days == 0].mean()
    assert label[data.funding_gap_ratio > 0.6].mean() > label[data.funding_gap_ratio < 0.1].mean()
    assert label[data.group_incidents_90d > 0].mean() > label[data.group_incidents_90d == 0].mean()


def test_n_must_be_positive():
    with pytest.raises(ValueError):
        generate(0, 1)

from __future__ import annotations

import datetime as dt

import pytest

from services.risk.model.outcomes import RegistryContractError, add_months, outcome_label


@pytest.mark.parametrize(
    ("outcome", "contract", "label"),
    [
        (None, None, None),
        ({"kind": "terminated", "delivered_on": None}, None, 1),
        ({"kind": "delivered_on_time", "delivered_on": "2024-06-01"}, None, 0),
        ({"kind": "delivered_late", "delivered_on": None}, dt.date(2024, 6, 30), 1),
        ({"kind": "delivered_late", "delivered_on": "2025-01-10"}, None, 1),
        ({"kind": "delivered_late", "delivered_on": "2025-06-30"}, dt.date(2024, 6, 30), 0),
        ({"kind": "delivered_late", "delivered_on": "2025-07-01"}, dt.date(2024, 6, 30), 1),
    ],
)
def test_labels_follow_the_12_month_rule(outcome, contract, label):
    assert outcome_label(outcome, contract) == label


def test_an_unknown_outcome_kind_is_a_contract_error():
    with pytest.raises(RegistryContractError):
        outcome_label({"kind": "abandoned"}, None)


def test_add_months_clamps_to_the_end_of_the_month():
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2024, 11, 30), 3) == dt.date(2025, 2, 28)

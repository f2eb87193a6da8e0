from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import httpx
import pytest

from services.risk.model.outcomes import (
    QUERY_PATH,
    RegistryContractError,
    add_months,
    fetch_outcome_records,
    outcome_label,
    record_from_item,
)
from services.risk.model.synthetic import generate
from services.risk.model.train import train_from_outcomes

FACTS = {
    "stall_days": 40,
    "progress_lag_pct": 6.5,
    "disputes_30d": 1,
    "disputes_90d": 2,
    "group_incidents_90d": 0,
    "overdue_days": 0,
    "funding_gap_amount": "1250000.00",
    "funding_gap_ratio": 0.1,
    "contract_delivery_date": "2024-06-30",
    "district": "330106",
}


def _item(outcome, **facts):
    return {"project_id": "p-1", "facts": {**FACTS, **facts}, "outcome": outcome}


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


def test_record_from_item_reads_features_label_and_ignores_other_facts():
    record = record_from_item(_item({"kind": "terminated", "delivered_on": None}))
    assert record["label"] == 1 and record["project_id"] == "p-1"
    assert record["funding_gap_amount"] == Decimal("1250000.00")
    assert "district" not in record and "contract_delivery_date" not in record


def test_funding_is_computed_from_its_parts_or_unknown():
    facts = {k: v for k, v in FACTS.items() if not k.startswith("funding")}
    parts = {"remaining_cost": "1000.00", "own_funds_available": "300.00", "undrawn_credit": "200.00"}
    item = {"project_id": "p", "facts": {**facts, **parts}, "outcome": {"kind": "delivered_on_time"}}
    record = record_from_item(item)
    assert record["funding_gap_amount"] == Decimal("500.00") and record["funding_gap_ratio"] == 0.5
    unknown = record_from_item({**item, "facts": {**facts, "remaining_cost": "1000.00"}})
    assert unknown["funding_gap_amount"] is None and unknown["funding_gap_ratio"] is None


@pytest.mark.parametrize(
    "item",
    [
        {"project_id": "p", "facts": None, "outcome": None},
        _item({"kind": "terminated"}, stall_days=-3),
        _item({"kind": "terminated"}, contract_delivery_date="30/06/2024"),
    ],
)
def test_malformed_items_are_contract_errors(item):
    with pytest.raises(RegistryContractError):
        record_from_item(item)


def _registry(pages: list[dict], seen: list[dict]):
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST" and request.url.path == QUERY_PATH
        assert request.headers["authorization"] == "Bearer tok"
        body = json.loads(request.content)
        seen.append(body)
        return httpx.Response(200, json=pages[len(seen) - 1])

    return httpx.MockTransport(handler)


def test_fetch_follows_pages_and_skips_projects_without_outcome():
    pages = [
        {"items": [_item({"kind": "terminated"}), _item(None)], "next_cursor": "c2"},
        {"items": [_item({"kind": "delivered_on_time", "delivered_on": "2024-06-01"})], "next_cursor": None},
    ]
    seen: list[dict] = []
    records, count = fetch_outcome_records("http://registry/", "tok", transport=_registry(pages, seen))
    assert [r["label"] for r in records] == [1, 0] and count == 3
    assert seen == [{"all": True, "with_outcomes": True}, {"all": True, "with_outcomes": True, "cursor": "c2"}]


def test_fetch_reports_http_errors_and_wrong_shapes():
    failing = httpx.MockTransport(lambda request: httpx.Response(503, json={"title": "down"}))
    with pytest.raises(httpx.HTTPStatusError):
        fetch_outcome_records("http://registry", "tok", transport=failing)
    wrong = httpx.MockTransport(lambda request: httpx.Response(200, json={"results": []}))
    with pytest.raises(RegistryContractError):
        fetch_outcome_records("http://registry", "tok", transport=wrong)


def test_outcomes_from_the_registry_train_a_model():
    data = generate(1200, 21)
    items = []
    for i, record in enumerate(data.records()):
        facts = {k: (str(v) if k == "funding_gap_amount" else v) for k, v in record.items() if k != "label"}
        kind = "terminated" if record["label"] else "delivered_on_time"
        items.append({"project_id": f"p-{i}", "facts": facts, "outcome": {"kind": kind, "delivered_on": None}})
    records, _ = fetch_outcome_records("http://registry", "tok", transport=_registry([{"items": items}], []))
    trained = train_from_outcomes(records)
    assert trained.provenance["labelled_used"] == 1200
    assert trained.metrics["auc"] > 0.7


def test_the_registry_shape_with_undrawn_credit_from_financing():
    """Registry gives remaining cost and own funds (and the contract date on the item); financing the credit."""
    facts = {k: v for k, v in FACTS.items() if not k.startswith("funding_gap") and k != "contract_delivery_date"}
    facts |= {"remaining_cost": "10000000.00", "own_funds_available": "2000000.00", "progress_lag_pct": "6.5"}
    items = [
        {
            "project_id": "p-1",
            "contract_delivery_date": "2024-06-30",
            "facts": facts,
            "outcome": {"kind": "delivered_late", "delivered_on": "2025-07-01"},
        },
        {
            "project_id": "p-2",
            "contract_delivery_date": "2024-06-30",
            "facts": facts,
            "outcome": {"kind": "delivered_late", "delivered_on": "2025-06-01"},
        },
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == QUERY_PATH:
            return httpx.Response(200, json={"items": items})
        assert request.url.path == "/v1/funding-positions/query"
        assert json.loads(request.content) == {"project_ids": ["p-1", "p-2"]}
        return httpx.Response(200, json={"items": [{"project_id": "p-1", "undrawn_amount": "3000000.00"}]})

    records, _ = fetch_outcome_records(
        "http://registry", "tok", financing_url="http://financing", transport=httpx.MockTransport(handler)
    )
    assert [r["label"] for r in records] == [1, 0]
    assert records[0]["funding_gap_amount"] == Decimal("5000000.00")
    assert records[1]["funding_gap_amount"] == Decimal("8000000.00"), "no credit line means none undrawn"
    without, _ = fetch_outcome_records("http://registry", "tok", transport=httpx.MockTransport(handler))
    assert all(r["funding_gap_amount"] is None for r in without)

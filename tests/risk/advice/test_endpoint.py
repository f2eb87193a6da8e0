"""``POST /v1/allocation-advice`` over HTTP, with registry and financing mocked: the plan, its explanations and
baselines, the limits, who may ask, and no advice on guessed funding."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from services.demo import SAMPLE_QUESTION
from services.risk.advice import service
from tests.risk.conftest import Risk
from tests.support.apps import auth
from tests.support.peers import funding_position

STALLED = {"stall_days": 150, "progress_lag_pct": "12.0", "disputes_30d": 1, "disputes_90d": 3}


def add_portfolio(risk: Risk) -> dict[str, str]:
    """Four troubled projects with gaps, one delivered, one whose gap unspent policy funds have closed."""
    peers = risk.peers
    ids = {
        "big": peers.project(**STALLED, remaining_cost="200000000.00", own_funds_available="40000000.00"),
        "mid": peers.project(
            **STALLED, remaining_cost="80000000.00", own_funds_available="20000000.00", sold_units=900
        ),
        "small": peers.project(remaining_cost="30000000.00", own_funds_available="18000000.00", sold_units=300),
        "quiet": peers.project(remaining_cost="50000000.00", own_funds_available="30000000.00", delivered_units=600),
        "delivered": peers.project(**STALLED, remaining_cost="10000000.00", own_funds_available="0.00"),
        "funded": peers.project(undrawn=None, remaining_cost="60000000.00", own_funds_available="20000000.00"),
    }
    peers.registry.items[ids["delivered"]]["status"] = "delivered"
    peers.financing.put(funding_position(ids["funded"], "15000000.00", "25000000.00"))
    return ids


async def advise(risk: Risk, expect: int = 200, headers: dict[str, str] | None = None, **body: Any) -> dict[str, Any]:
    response = await risk.client.post("/v1/allocation-advice", json=body, headers=headers or risk.admin)
    assert response.status_code == expect, response.text
    return dict(response.json())


async def score(risk: Risk, facts: dict[str, Any], gap: Decimal, cost: Decimal) -> dict[str, Any]:
    ratio = float((gap / cost).quantize(Decimal("0.0001"), ROUND_HALF_UP))
    features = {
        "stall_days": facts["stall_days"],
        "progress_lag_pct": float(facts["progress_lag_pct"]),
        "funding_gap_amount": f"{gap:.2f}",
        "funding_gap_ratio": ratio,
        "disputes_30d": facts["disputes_30d"],
        "disputes_90d": facts["disputes_90d"],
        "group_incidents_90d": facts["group_incidents_90d"],
        "overdue_days": facts["overdue_days"],
    }
    response = await risk.client.post("/v1/score", json={"features": features}, headers=risk.admin)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_the_plan_is_explained_checked_and_beats_the_baselines(risk: Risk) -> None:
    ids = add_portfolio(risk)
    answer = await advise(risk, budget="100000000.00", project_ids=list(ids.values()))

    assert risk.peers.registry.requests == [{"project_ids": list(ids.values())}]
    # The delivered project is not asked about; one bulk call for the rest.
    assert len(risk.peers.financing.requests) == 1
    assert ids["delivered"] not in risk.peers.financing.requests[0]["project_ids"]
    assert {(e["project_id"], e["reason"]) for e in answer["excluded"]} == {
        (ids["delivered"], "not_eligible"),
        (ids["funded"], "gap_below_step"),
    }
    assert answer["candidates"] == 4 and answer["not_found"] == []
    model = (await risk.client.get("/v1/model", headers=risk.admin)).json()
    assert answer["model_version"] == model["version"]
    assert answer["method"] == "knapsack_dp" and answer["objective"] == "expected_undelivered_units"
    assert answer["as_of"] == risk.peers.registry.as_of.isoformat()
    assert "一项目一方案" in answer["disclaimer"]

    assert answer["plan"], "a budget of 100m against these gaps buys something"
    saved = Decimal(0)
    for line in answer["plan"]:
        item = risk.peers.registry.items[line["project_id"]]
        facts = item["facts"]
        cost = Decimal(facts["remaining_cost"])
        gap = cost - Decimal(facts["own_funds_available"])
        amount = Decimal(line["amount"])
        assert amount > 0 and amount % Decimal("1000000") == 0 and amount <= gap
        assert (Decimal(line["gap_before"]), Decimal(line["gap_after"])) == (gap, gap - amount)
        before, after = await score(risk, facts, gap, cost), await score(risk, facts, gap - amount, cost)
        assert (line["probability_before"], line["probability_after"]) == (before["probability"], after["probability"])
        assert (line["tier_before"], line["tier_after"]) == (before["tier"], after["tier"])
        assert after["probability"] < before["probability"], "money is only advised where it lowers the risk"
        units = item["sold_units"] - item["delivered_units"]
        assert line["undelivered_units"] == units
        expected = Decimal(units) * (Decimal(str(before["probability"])) - Decimal(str(after["probability"])))
        assert Decimal(str(line["expected_units_saved"])) == expected
        saved += expected
        moved = {c["feature"] for c in line["changed_contributions"]}
        assert moved and moved <= {"funding_gap_amount", "funding_gap_ratio"}
        assert [r["code"] for r in line["reason_codes_before"]] == [r["code"] for r in before["reason_codes"]]
        assert [r["code"] for r in line["reason_codes_after"]] == [r["code"] for r in after["reason_codes"]]
    totals = answer["totals"]
    allocated = sum(Decimal(line["amount"]) for line in answer["plan"])
    assert Decimal(totals["allocated"]) == allocated <= Decimal("100000000.00")
    assert Decimal(totals["unallocated"]) == Decimal("100000000.00") - allocated
    assert Decimal(str(totals["expected_units_saved"])) == saved
    assert [b["name"] for b in answer["baselines"]] == ["proportional_to_gap", "largest_gap_first", "reddest_first"]
    for baseline in answer["baselines"]:
        assert baseline["expected_units_saved"] <= totals["expected_units_saved"], baseline
        assert Decimal(baseline["allocated"]) <= Decimal("100000000.00")


async def test_more_budget_never_gives_a_worse_plan(risk: Risk) -> None:
    add_portfolio(risk)
    saved = [
        (await advise(risk, budget=f"{millions}000000.00", all=True))["totals"]["expected_units_saved"]
        for millions in (5, 20, 60, 150, 400)
    ]
    assert saved == sorted(saved) and saved[-1] > saved[0]


async def test_the_second_objective_counts_failed_projects(risk: Risk) -> None:
    ids = add_portfolio(risk)
    by_units = await advise(risk, budget="30000000.00", all=True)
    by_failures = await advise(risk, budget="30000000.00", all=True, objective="expected_failures")
    assert by_failures["objective"] == "expected_failures"
    assert by_failures["totals"]["expected_failures_avoided"] >= by_units["totals"]["expected_failures_avoided"]
    assert by_units["totals"]["expected_units_saved"] >= by_failures["totals"]["expected_units_saved"]
    # The quiet project has no homes left to deliver: worth nothing to the first objective.
    assert ids["quiet"] not in {line["project_id"] for line in by_units["plan"]}


async def test_unknown_ids_are_named(risk: Risk) -> None:
    ids = add_portfolio(risk)
    unknown = "00000000-0000-4000-8000-000000000000"
    answer = await advise(risk, budget="10000000.00", project_ids=[ids["big"], unknown, ids["big"]])
    assert answer["not_found"] == [unknown] and answer["candidates"] == 1


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"budget": "1000000.00", "step": "2000000.00", "all": True}, "/body/step"),
        ({"budget": "20000000000.00", "all": True}, "/body/step"),
        ({"budget": "0.00", "all": True}, "/body/budget"),
        ({"budget": 1000000, "all": True}, "/body/budget"),
        ({"budget": "1000000.00"}, "/body"),
        ({"budget": "1000000.00", "all": True, "project_ids": ["00000000-0000-4000-8000-000000000000"]}, "/body"),
        ({"budget": "1000000.00", "all": True, "objective": "most_votes"}, "/body/objective"),
    ],
)
async def test_limits_are_refused_with_a_pointer(risk: Risk, body: dict[str, Any], pointer: str) -> None:
    add_portfolio(risk)
    problem = await advise(risk, expect=422, **body)
    assert problem["type"].endswith(":validation-error")
    assert any(e["pointer"].startswith("#" + pointer) for e in problem["errors"]), problem
    assert risk.peers.registry.requests == []


async def test_only_city_admins_may_ask(risk: Risk) -> None:
    add_portfolio(risk)
    for headers in (
        auth("district_officer", district="990101"),
        auth("viewer"),
        auth("bank", bank="ICBC"),
        auth("service"),
    ):
        problem = await advise(risk, expect=403, headers=headers, budget="1000000.00", all=True)
        assert problem["type"].endswith(":forbidden")
    response = await risk.client.post("/v1/allocation-advice", json={"budget": "1000000.00", "all": True})
    assert response.status_code == 401
    assert risk.peers.registry.requests == []


async def test_no_advice_on_guessed_funding(risk: Risk) -> None:
    add_portfolio(risk)
    risk.peers.financing.unavailable = True
    problem = await advise(risk, expect=503, budget="10000000.00", all=True)
    assert problem["type"].endswith(":peer-unavailable")
    risk.peers.financing.unavailable = False
    risk.peers.registry.unavailable = True
    problem = await advise(risk, expect=503, budget="10000000.00", all=True)
    assert problem["type"].endswith(":peer-unavailable") and "registry" in problem["detail"]


async def test_the_demo_sample_question_is_answered(risk: Risk) -> None:
    add_portfolio(risk)
    answer = await advise(risk, **SAMPLE_QUESTION)
    assert answer["budget"] == SAMPLE_QUESTION["budget"] and answer["plan"]


async def test_too_many_candidate_steps_is_refused_before_scoring(risk: Risk, monkeypatch: pytest.MonkeyPatch) -> None:
    add_portfolio(risk)
    # Four candidates over 11 budget steps (0 to 10) is 44 candidate-steps.
    monkeypatch.setattr(service, "MAX_CELLS", 43)
    problem = await advise(risk, expect=422, budget="10000000.00", all=True)
    assert problem["errors"][0]["pointer"] == "#/body/step"
    assert "4 candidates over 10 budget steps" in problem["detail"]
    monkeypatch.setattr(service, "MAX_CELLS", 44)
    await advise(risk, budget="10000000.00", all=True)

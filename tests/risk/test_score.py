"""``POST /v1/score``: one project's probability, points, tier and reasons; bad input is a 422 problem."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from services.risk.model import load_model
from tests.risk import factories
from tests.support.apps import auth


async def _score(client: httpx.AsyncClient, features: dict[str, Any], role: str = "viewer") -> httpx.Response:
    return await client.post("/v1/score", json={"features": features}, headers=auth(role, **_claims(role)))


def _claims(role: str) -> dict[str, str]:
    return {"district": "990101"} if role == "district_officer" else {"bank": "ICBC"} if role == "bank" else {}


async def test_score_explains_itself(scoring: httpx.AsyncClient) -> None:
    response = await _score(scoring, factories.features())
    assert response.status_code == 200
    body = response.json()
    model = load_model()
    assert body["model_version"] == model.version
    assert body["thresholds_version"] == "2025-11-25.1"
    assert 0 <= body["probability"] <= 1
    assert body["tier"] in ("red", "orange", "yellow", "green")
    contributions = body["contributions"]
    assert contributions[0] == {"feature": "intercept", "value": None, "points": model.intercept_points}
    assert [c["feature"] for c in contributions[1:]] == list(factories.features())
    assert sum(c["points"] for c in contributions) == body["score"]
    amount = next(c for c in contributions if c["feature"] == "funding_gap_amount")
    assert amount["value"] == "35000000.00"
    assert 1 <= len(body["reason_codes"]) <= 4
    assert all(set(r) == {"code", "zh", "en"} and r["code"].startswith("R_") for r in body["reason_codes"])
    assert body["funding_unknown"] is False


async def test_scores_follow_the_published_scorecard(scoring: httpx.AsyncClient) -> None:
    card = (await scoring.get("/v1/model", headers=auth("viewer"))).json()["scorecard"]
    table = {entry["feature"]: entry for entry in card["features"]}

    def points(feature: str, value: Any) -> int:
        """The points of the highest bin whose lower edge ``value`` reaches, as the published table reads."""
        entry = table[feature]
        if value is None:
            return int(entry["unknown_points"])
        return int([b["points"] for b in entry["bins"] if Decimal(str(value)) >= Decimal(b["from"])][-1])

    for features in (
        factories.quiet(),
        factories.features(),
        factories.features(stall_days=400),
        factories.features(funding_gap_amount=None, funding_gap_ratio=None),
    ):
        body = (await _score(scoring, features)).json()
        expected = {name: points(name, features[name]) for name in table}
        score = card["intercept_points"] + sum(expected.values())
        # The scale of the contract: 600 points at odds of 1 failure to 19 deliveries, 40 points doubling them.
        probability = round(1 / (1 + 19 * 2 ** (-(score - 600) / 40)), 4)
        assert {c["feature"]: c["points"] for c in body["contributions"][1:]} == expected
        assert (body["score"], body["probability"]) == (score, probability)


async def test_policy_rules_raise_the_tier(scoring: httpx.AsyncClient) -> None:
    calm = (await _score(scoring, factories.quiet())).json()
    assert (calm["tier"], calm["rules_fired"]) == ("green", [])
    incident = (await _score(scoring, factories.quiet(group_incidents_90d=1))).json()
    assert incident["rules_fired"] == ["P_GROUP_INCIDENT_90D"]
    assert incident["tier"] in ("orange", "red")


async def test_unknown_funding_is_neutral_and_said(scoring: httpx.AsyncClient) -> None:
    body = (await _score(scoring, factories.features(funding_gap_amount=None, funding_gap_ratio=None))).json()
    assert body["funding_unknown"] is True
    assert "R_FUNDING_GAP" not in [r["code"] for r in body["reason_codes"]]
    assert sum(c["points"] for c in body["contributions"]) == body["score"]


@pytest.mark.parametrize("role", ["city_admin", "district_officer", "viewer", "service", "bank"])
async def test_any_authenticated_role_may_score(scoring: httpx.AsyncClient, role: str) -> None:
    assert (await _score(scoring, factories.features(), role)).status_code == 200


async def test_scoring_needs_a_token(scoring: httpx.AsyncClient) -> None:
    response = await scoring.post("/v1/score", json={"features": factories.features()})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("features", "pointer"),
    [
        (factories.features(stall_days=-1), "#/body/features/stall_days"),
        (factories.features(overdue_days=-30), "#/body/features/overdue_days"),
        (factories.features(funding_gap_ratio=1.5), "#/body/features/funding_gap_ratio"),
        (factories.features(progress_lag_pct=120), "#/body/features/progress_lag_pct"),
        (factories.features(funding_gap_amount=35000000), "#/body/features/funding_gap_amount"),
        (factories.features(funding_gap_amount="35000000.005"), "#/body/features/funding_gap_amount"),
        (factories.features(funding_gap_amount="-1.00"), "#/body/features/funding_gap_amount"),
        ({k: v for k, v in factories.features().items() if k != "disputes_30d"}, "#/body/features/disputes_30d"),
        (factories.features(developer="x"), "#/body/features/developer"),
    ],
    ids=[
        "negative-days",
        "negative-overdue",
        "ratio",
        "lag",
        "money-number",
        "money-places",
        "money-negative",
        "missing",
        "unknown-field",
    ],
)
async def test_bad_input_is_a_422_problem_with_a_pointer(
    scoring: httpx.AsyncClient, features: dict[str, Any], pointer: str
) -> None:
    response = await _score(scoring, features)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422 and problem["type"].endswith("validation-error")
    assert pointer in [e["pointer"] for e in problem["errors"]]


async def test_a_body_that_is_not_json_is_a_400_problem(scoring: httpx.AsyncClient) -> None:
    response = await scoring.post(
        "/v1/score", content=b"{not json", headers={**auth("viewer"), "content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


async def test_unknown_top_level_fields_are_refused(scoring: httpx.AsyncClient) -> None:
    response = await scoring.post(
        "/v1/score", json={"features": factories.features(), "extra": 1}, headers=auth("viewer")
    )
    assert response.status_code == 422
    assert "#/body/extra" in [e["pointer"] for e in response.json()["errors"]]

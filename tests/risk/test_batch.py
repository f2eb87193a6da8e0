"""``POST /v1/score/batch``: up to 10,000 items in order; a bad item gets its own error, the rest are scored."""

from __future__ import annotations

import random
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.risk.scoring.schemas import ScoreRequest
from services.risk.scoring.validation import parse_batch
from tests.risk import factories
from tests.support.apps import auth


async def _batch(client: httpx.AsyncClient, items: list[Any]) -> httpx.Response:
    return await client.post(
        "/v1/score/batch",
        content=orjson.dumps({"items": items}),
        headers={**auth("viewer"), "content-type": "application/json"},
    )


def _random_features(rng: random.Random) -> dict[str, Any]:
    return factories.features(
        stall_days=rng.randint(0, 400),
        progress_lag_pct=round(rng.uniform(0, 60), 1),
        funding_gap_amount=f"{rng.randint(0, 10**8)}.{rng.randint(0, 99):02d}",
        funding_gap_ratio=round(rng.random(), 4),
        disputes_30d=rng.randint(0, 6),
        disputes_90d=rng.randint(0, 12),
        group_incidents_90d=rng.randint(0, 2),
        overdue_days=rng.randint(0, 500),
    )


async def test_a_thousand_items_in_order_with_full_explanations(scoring: httpx.AsyncClient) -> None:
    rng = random.Random(3)
    items = [{"features": _random_features(rng)} for _ in range(1000)]
    response = await _batch(scoring, items)
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 1000
    for item, result in zip(items, results, strict=True):
        assert sum(c["points"] for c in result["contributions"]) == result["score"]
        assert [c["value"] for c in result["contributions"][1:]] == list(item["features"].values())
    for index in (0, 500, 999):
        single = await scoring.post("/v1/score", json=items[index], headers=auth("viewer"))
        assert single.json() == results[index]


async def test_a_bad_item_gets_its_own_error_and_the_rest_are_scored(scoring: httpx.AsyncClient) -> None:
    items: list[Any] = [
        {"features": factories.features()},
        {"features": factories.features(stall_days=-3)},
        {"features": factories.quiet()},
        {"features": factories.features(funding_gap_amount=1000)},
        "not an object",
        {"features": factories.features(), "note": "x"},
        {"features": factories.features(funding_gap_amount=" 35000000.00")},
        {"features": factories.features(disputes_30d=True)},
        {"features": factories.features(stall_days="5")},
    ]
    response = await _batch(scoring, items)
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == len(items)
    assert [("error" in r) for r in results] == [False, True, False, True, True, True, False, True, True]
    assert results[1]["error"]["status"] == 422
    assert results[1]["error"]["type"] == "urn:handover:problem:validation-error"
    assert [e["pointer"] for e in results[1]["error"]["errors"]] == ["#/features/stall_days"]
    assert [e["pointer"] for e in results[3]["error"]["errors"]] == ["#/features/funding_gap_amount"]
    assert [e["pointer"] for e in results[5]["error"]["errors"]] == ["#/note"]
    assert results[2]["tier"] == "green"
    assert results[6] == (await scoring.post("/v1/score", json=items[6], headers=auth("viewer"))).json()


async def test_more_than_ten_thousand_items_is_a_422(scoring: httpx.AsyncClient) -> None:
    item = {"features": factories.quiet()}
    response = await _batch(scoring, [item] * 10_001)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["pointer"] for e in response.json()["errors"]] == ["#/body/items"]
    assert (await _batch(scoring, [item] * 10_000)).status_code == 200


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"[]", 422), (b'{"items": {}}', 422), (b'{"items": [], "more": 1}', 422), (b"{}", 422), (b"{oops", 400)],
)
async def test_a_body_of_the_wrong_shape_is_refused_whole(scoring: httpx.AsyncClient, body: bytes, status: int) -> None:
    response = await scoring.post(
        "/v1/score/batch", content=body, headers={**auth("viewer"), "content-type": "application/json"}
    )
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_empty_batch_has_no_results(scoring: httpx.AsyncClient) -> None:
    response = await _batch(scoring, [])
    assert response.json() == {"results": []}


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 200_000) | st.floats(-1, 200) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=5,
)
_near_valid = st.fixed_dictionaries(
    {
        "stall_days": st.one_of(st.integers(-2, 100_002), st.floats(0, 10), st.text(max_size=3), st.booleans()),
        "progress_lag_pct": st.one_of(st.floats(-1, 101), st.integers(-1, 101), st.text(max_size=4)),
        "funding_gap_amount": st.one_of(
            st.none(), st.from_regex(r"-?[0-9]{0,17}(\.[0-9]{0,3})?", fullmatch=True), st.integers(0, 10)
        ),
        "funding_gap_ratio": st.one_of(st.none(), st.floats(-0.5, 1.5), st.integers(0, 2)),
        "disputes_30d": st.integers(-1, 3),
        "disputes_90d": st.integers(0, 3),
        "group_incidents_90d": st.integers(0, 3),
        "overdue_days": st.integers(0, 3),
    }
)


@settings(max_examples=300, deadline=None)
@given(items=st.lists(st.one_of(st.fixed_dictionaries({"features": _near_valid}), _json_values), max_size=6))
def test_the_fast_path_decides_every_item_as_score_request_does(items: list[Any]) -> None:
    values, problems = parse_batch(orjson.dumps({"items": items}))
    assert len(values) == len(items)
    for index, item in enumerate(items):
        try:
            # As POST /v1/score decides: JSON parsed first, then validated.
            expected = ScoreRequest.model_validate(orjson.loads(orjson.dumps(item))).features.values()
        except ValueError:
            assert values[index] is None and problems[index]["status"] == 422
            continue
        assert values[index] == expected and index not in problems

"""Golden test of the batch fast path: for thousands of random bodies, good and bad items mixed, it answers the
very bytes the reference path answers (``parse_batch`` then ``ScoringEngine.score_json``), in process."""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import numpy as np
import orjson
import pytest

from services.common.problems import ProblemError
from services.risk.model import DEFAULT_THRESHOLDS, FEATURE_NAMES, PolicyRule, RiskTier, Thresholds, load_model
from services.risk.model.scorecard import REASONS, rank_reasons
from services.risk.scoring.batch import decode_strict, money_columns
from services.risk.scoring.engine import ScoringEngine
from services.risk.scoring.validation import parse_batch
from tests.support.apps import auth

# Rules that compare every kind of feature, with values no float or fen lands on exactly, and ties.
_EXACT_RULES = Thresholds(
    version="golden-1",
    red=0.5,
    orange=0.2,
    yellow=0.07,
    rules=(
        *DEFAULT_THRESHOLDS.rules,
        *(
            PolicyRule(
                code=f"P_{feature.upper()}_{op.upper()}_{i}",
                feature=feature,
                op=op_symbol,
                value=Decimal(value),
                min_tier=tier,
                zh="测试",
                en="test",
            )
            for i, (feature, op, op_symbol, value, tier) in enumerate(
                [
                    ("progress_lag_pct", "gt", ">", "5.3", RiskTier.yellow),
                    ("progress_lag_pct", "ge", ">=", "30.1", RiskTier.orange),
                    ("funding_gap_ratio", "gt", ">", "0.1", RiskTier.yellow),
                    (
                        "funding_gap_ratio",
                        "ge",
                        ">=",
                        "0.3000000000000000166533453693773481063544750213623046875",
                        RiskTier.orange,
                    ),
                    ("funding_gap_amount", "gt", ">", "40000.005", RiskTier.yellow),
                    ("funding_gap_amount", "ge", ">=", "90000000", RiskTier.red),
                    ("disputes_30d", "gt", ">", "1.5", RiskTier.yellow),
                    ("disputes_90d", "ge", ">=", "3.0001", RiskTier.orange),
                    ("overdue_days", "ge", ">=", "1000000000000000000000000", RiskTier.red),
                ]
            )
        ),
    ),
)


@pytest.fixture(scope="module", params=["default", "exact-rules"])
def engine(request: pytest.FixtureRequest) -> ScoringEngine:
    return ScoringEngine(load_model(), DEFAULT_THRESHOLDS if request.param == "default" else _EXACT_RULES)


def _reference(engine: ScoringEngine, body: bytes) -> bytes:
    values, problems = parse_batch(body)
    return engine.score_json(values, problems)


def _answer(score: Callable[[bytes], bytes], body: bytes) -> tuple[str, Any]:
    try:
        return "ok", score(body)
    except ProblemError as exc:
        return "problem", (exc.status, exc.detail, exc.slug, [(e.pointer, e.detail) for e in exc.errors or []])


# Numbers near the scorecard's edges and the rules' values, as JSON text in several spellings.
_NEAR = ["0", "1", "1.7", "3.2", "5.3", "7", "9.9", "19", "30.1", "0.11", "0.1", "0.2", "0.3", "0.77", "57", "160"]


def _number(rng: random.Random, low: float, high: float, integer: bool) -> str:
    pick = rng.random()
    if integer:
        if pick < 0.7:
            return str(rng.choice([0, 0, 1, 2, 3, 4, rng.randint(int(low), int(high))]))
        return rng.choice(
            ["57", "140", "220", "160", "370", "0", "100000", "0.0", "1e2", "-0", str(rng.randint(0, 400))]
        )
    if pick < 0.3:
        return rng.choice(_NEAR)
    if pick < 0.45:
        base = float(rng.choice(_NEAR))
        return repr(base + rng.choice([-1, 1]) * rng.choice([1e-15, 1e-16, 5e-17, 2e-16]))
    if pick < 0.55:
        return rng.choice(["1e1", "1E-1", "2.5e0", "-0.0", "0.30000000000000004", "5.29999999999999999999999", "1.0"])
    if pick < 0.65:
        return repr(round(rng.uniform(low, high), rng.randint(0, 17)))
    return repr(round(rng.uniform(low, high), rng.choice([1, 2, 4])))


def _money(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.15:
        return "null"
    if pick < 0.5:
        return f'"{rng.randint(0, 10**8)}.{rng.randint(0, 99):02d}"'
    if pick < 0.6:
        return f'"{rng.choice(["0", "00", "0000123", "40000", "40000.01", "39999.99", "90000000.00"])}"'
    if pick < 0.75:
        whole = str(rng.randint(0, 10 ** rng.randint(0, 16) - 1)).zfill(rng.choice([1, 1, 1, 3]))
        return f'"{whole}{rng.choice(["", ".", ".5", ".05", ".50", ".00", ".0"])}"'.replace('."', '.0"')
    return f'"{rng.choice(["9999999999999999.99", "0.00", "1000000.5", "0.01", "12"])}"'


def _good_fields(rng: random.Random) -> dict[str, str]:
    return {
        "stall_days": _number(rng, 0, 400, True),
        "progress_lag_pct": _number(rng, 0, 100, False),
        "funding_gap_amount": _money(rng),
        "funding_gap_ratio": "null" if rng.random() < 0.1 else _number(rng, 0, 1, False),
        "disputes_30d": _number(rng, 0, 6, True),
        "disputes_90d": _number(rng, 0, 12, True),
        "group_incidents_90d": _number(rng, 0, 2, True),
        "overdue_days": _number(rng, 0, 500, True),
    }


# Ways to spoil one field: wrong types, out of range, nulls, huge numbers, three decimals, strings for numbers...
_SPOILED = [
    '"5"',
    "true",
    "false",
    "null",
    "[]",
    "{}",
    "-1",
    "100001",
    "1e400",
    "-1e400",
    "1" + "0" * 30,
    "NaN",
    "5.5",
    "101",
    "1.0000001",
    '"12.345"',
    '"-0.00"',
    '" 12.00"',
    '"12.00\\n"',
    '"1e3"',
    '"１２"',
    '"12."',
    '""',
    "12.5",
    "12",
    '"00000000000000001.00"',
    '"99999999999999999.99"',
    '"+1.00"',
    '"0x10"',
    "-0.0",
    "0.5",
    "-0.5",
    "1.5",
]


def _item(rng: random.Random, bad: bool) -> str:
    fields = _good_fields(rng)
    if bad:
        how = rng.random()
        if how < 0.55:
            fields[rng.choice(FEATURE_NAMES)] = rng.choice(_SPOILED)
        elif how < 0.65:
            del fields[rng.choice(FEATURE_NAMES)]
        elif how < 0.72:
            fields["extra"] = "1"
        elif how < 0.77:
            return rng.choice(["null", "1", '"x"', "[]", "{}", '{"features": null}', '{"features": []}'])
        elif how < 0.82:
            body = ",".join(f'"{k}":{v}' for k, v in fields.items())
            return f'{{"features":{{{body}}},"extra":1}}'
        else:
            # A duplicate key: the last one counts, in either parser.
            name = rng.choice(FEATURE_NAMES)
            body = ",".join(f'"{k}":{v}' for k, v in fields.items())
            return f'{{"features":{{{body},"{name}":{rng.choice([fields[name], *_SPOILED[:6]])}}}}}'
    order = list(fields)
    if rng.random() < 0.2:
        rng.shuffle(order)
    body = ",".join(f'"{k}":{fields[k]}' for k in order)
    return f'{{"features":{{{body}}}}}'


def _body(rng: random.Random, size: int, bad_share: float) -> bytes:
    items = [_item(rng, rng.random() < bad_share) for _ in range(size)]
    return f'{{"items":[{",".join(items)}]}}'.encode()


@pytest.mark.parametrize("seed", range(4))
def test_the_fast_path_answers_the_reference_bytes(engine: ScoringEngine, seed: int) -> None:
    rng = random.Random(seed)
    items = fast = 0
    for round_ in range(200):
        size = rng.choice([0, 1, 2, 5, 30, 60])
        bad_share = 0.0 if round_ % 2 == 0 else rng.choice([0.02, 0.2, 0.9])
        body = _body(rng, size, bad_share)
        assert _answer(engine.batch.score, body) == _answer(lambda b: _reference(engine, b), body), body
        items += size
        fast += decode_strict(body) is not None
    # Thousands of items, and both paths taken many times (all valid: the fast decoder; else the reference's).
    assert items > 2000 and 40 < fast < 160


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b"{}",
        b'{"items":{}}',
        b'{"items":[],"extra":1}',
        b'{"items":null}',
        b'{"items":[]}',
        b'{"items":[]} trailing',
        b'\xef\xbb\xbf{"items":[]}',
        b'{"items":[{"features":{"stall_days":1}}]',
        b'{"items":["\xff"]}',
    ],
)
def test_bodies_refused_whole_are_refused_alike(engine: ScoringEngine, body: bytes) -> None:
    assert _answer(engine.batch.score, body) == _answer(lambda b: _reference(engine, b), body)


def test_more_than_ten_thousand_items_are_refused_alike(engine: ScoringEngine) -> None:
    body = _body(random.Random(9), 10_001, 0.0)
    fast, reference = _answer(engine.batch.score, body), _answer(lambda b: _reference(engine, b), body)
    assert fast == reference and fast[0] == "problem"


def test_ten_thousand_good_items_alike(engine: ScoringEngine) -> None:
    body = _body(random.Random(10), 10_000, 0.0)
    assert engine.batch.score(body) == _reference(engine, body)


def test_money_is_read_to_the_fen_and_written_as_the_reference_writes_it() -> None:
    texts = ["0", "00", "0.5", "000123.4", "12.05", "9999999999999999.99", None, "0.00", "10", "0000000000000000.01"]
    columns = money_columns(texts)
    assert columns is not None
    strings, fen = columns
    expected = [None if t is None else Decimal(t).quantize(Decimal("0.01")) for t in texts]
    assert strings == [None if e is None else str(e) for e in expected]
    assert fen.tolist() == [0 if e is None else int(e * 100) for e in expected]
    assert orjson.dumps(strings)


@pytest.mark.parametrize(
    "texts",
    [
        ["0.00", "12.05", None, "9999999999999999.99", "1000000.10", None],
        ["40000.01"],
        [None, None],
        ["0.01", "100.00"],
    ],
)
def test_money_already_canonical_is_read_to_the_fen(texts: list[str | None]) -> None:
    columns = money_columns(texts)
    assert columns is not None
    strings, fen = columns
    assert strings == texts
    assert fen.tolist() == [0 if t is None else int(Decimal(t) * 100) for t in texts]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1.00\n2.00",
        "1.00\n",
        "\n1.00",
        "1.00 ",
        ".",
        "1.",
        ".5",
        "1.234",
        "12345678901234567",
        "17345678901234567.00",
        "1e3",
        "１２",
        "1\n",
        "1\x00",
        "\x001",
        "-1",
        "+1",
        "1..2",
        "1.2.3",
        " 1",
        "1 ",
        "0x1",
        "12,5",
    ],
)
def test_money_the_pattern_refuses_is_refused(text: str) -> None:
    assert money_columns(["1.00", text, None]) is None
    assert money_columns(["1234567890123456.99", None]) is not None


def _valid_body(rng: random.Random, size: int) -> bytes:
    items = []
    for _ in range(size):
        features = dict(zip(FEATURE_NAMES, [rng.randint(0, 400), round(rng.uniform(0, 40), 1)], strict=False))
        features["funding_gap_amount"] = rng.choice([None, f"{rng.randint(0, 10**8)}.{rng.randint(0, 99):02d}"])
        features["funding_gap_ratio"] = None if features["funding_gap_amount"] is None else round(rng.random(), 4)
        features |= {"disputes_30d": rng.randint(0, 3), "disputes_90d": rng.randint(0, 8)}
        features |= {"group_incidents_90d": rng.randint(0, 1), "overdue_days": rng.randint(0, 500)}
        items.append({"features": features})
    return orjson.dumps({"items": items})


@pytest.mark.parametrize("valid", [True, False])
async def test_the_endpoint_answers_the_reference_bytes(scoring: httpx.AsyncClient, valid: bool) -> None:
    rng = random.Random(11)
    body = _valid_body(rng, 1000) if valid else _body(rng, 1000, 0.3)
    assert (decode_strict(body) is not None) is valid
    response = await scoring.post(
        "/v1/score/batch", content=body, headers={**auth("viewer"), "content-type": "application/json"}
    )
    assert response.status_code == 200
    assert response.content == _reference(ScoringEngine(load_model(), DEFAULT_THRESHOLDS), body)


def test_the_reasons_cited_are_ranked_as_the_model_ranks_them(engine: ScoringEngine) -> None:
    # Points per reason with many ties, zeros and negatives: the ranking in arrays against ``rank_reasons``.
    rng = np.random.default_rng(12)
    by_reason = rng.integers(-2, 4, size=(5000, len(REASONS)), dtype=np.int64)
    expected = [orjson.dumps(rank_reasons(row)) for row in by_reason.tolist()]
    assert engine.batch._reasons(by_reason) == expected

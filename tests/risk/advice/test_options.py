"""Breakpoints: the probability at any amount is the one at the largest breakpoint not above it."""

from __future__ import annotations

import functools
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from services.risk.advice.options import Candidate, Edges, breakpoints, features_after, max_steps, score_levels
from services.risk.model import load_model
from services.risk.scoring.engine import ScoringEngine


@st.composite
def candidates(draw: st.DrawFn) -> tuple[Candidate, Decimal]:
    # Costs in whole ten-thousands of yuan near the scorecard's edges, steps that give up to 40 amounts.
    cost = Decimal(draw(st.integers(1, 50_000))) * 10_000
    gap = min(cost, Decimal(draw(st.integers(1, 5_000_000_000))) / 100)
    step = max(Decimal("0.01"), (gap / draw(st.integers(1, 40))).quantize(Decimal("0.01")))
    features = {
        "stall_days": draw(st.sampled_from([0, 30, 100, 200])),
        "progress_lag_pct": draw(st.sampled_from([0.0, 4.0, 12.0])),
        "funding_gap_amount": gap,
        "funding_gap_ratio": 0.0,
        "disputes_30d": draw(st.integers(0, 2)),
        "disputes_90d": draw(st.integers(0, 4)),
        "group_incidents_90d": draw(st.integers(0, 1)),
        "overdue_days": draw(st.sampled_from([0, 200, 300])),
    }
    candidate = Candidate("p", "P-1", "990101", features, cost, draw(st.integers(0, 900)))
    return candidate, step


@settings(max_examples=150, deadline=None)
@given(candidates())
def test_every_amount_scores_as_its_breakpoint(engine: ScoringEngine, case: tuple[Candidate, Decimal]) -> None:
    candidate, step = case
    [levels] = score_levels([candidate], step, Edges.of_spec(engine.model.spec), engine.score_many)
    top = max_steps(candidate.gap, step)
    every = engine.score_many([features_after(candidate, step * k) for k in range(top + 1)])
    for k, result in enumerate(every):
        held = levels.results[levels.at(k)]
        assert (result["score"], result["probability"], result["tier"]) == (
            held["score"],
            held["probability"],
            held["tier"],
        ), k
    assert levels.steps[0] == 0
    assert levels.steps[-1] <= top


def test_breakpoints_of_a_worked_case(engine: ScoringEngine) -> None:
    edges = Edges(amount=(Decimal("40000.00"),), ratio=(Decimal("0.2"), Decimal("0.5")))
    # Gap 60m of a 100m cost, steps of 1m. Ratio below 0.5 once rounded: gap < 49.995m, so 11 steps (49m);
    # below 0.2: gap < 19.995m, 41 steps (19m); below 40,000 yuan: 60 steps (the whole gap).
    assert breakpoints(Decimal("60000000.00"), Decimal("100000000.00"), Decimal("1000000.00"), edges) == [0, 11, 41, 60]
    # 10 steps leave 49,997,000: a ratio of 0.49997, which rounds to 0.5000 and is not below the edge yet.
    assert breakpoints(Decimal("59997000.00"), Decimal("100000000.00"), Decimal("1000000.00"), edges)[1] == 11
    # A gap already below an edge adds nothing; steps past the gap are left out.
    assert breakpoints(Decimal("10000000.00"), Decimal("100000000.00"), Decimal("3000000.00"), edges) == [0]


@functools.cache
def ratio_edges() -> tuple[Decimal, ...]:
    return Edges.of_spec(load_model().spec).ratio


@st.composite
def near_ratio_edges(draw: st.DrawFn) -> tuple[Candidate, Decimal, Decimal]:
    """A candidate whose gap, after some whole number of steps, lands within a few ten-thousandths of a ratio edge,
    where rounding the ratio to four places decides the bin."""
    cost = Decimal(draw(st.integers(1, 90_000))) * 10_000 + Decimal(draw(st.integers(0, 99))) / 100
    edge = draw(st.sampled_from(ratio_edges()))
    offset = Decimal(draw(st.integers(-15, 15))) / 100_000
    left = (cost * (edge + offset)).quantize(Decimal("0.01"))
    step = Decimal(draw(st.integers(1, 10_000))) * 100
    gap = min(cost, left + step * draw(st.integers(1, 6)))
    features = {
        "stall_days": 0,
        "progress_lag_pct": 0.0,
        "funding_gap_amount": gap,
        "funding_gap_ratio": 0.0,
        "disputes_30d": 0,
        "disputes_90d": 0,
        "group_incidents_90d": 0,
        "overdue_days": 0,
    }
    return Candidate("p", "P-1", "990101", features, cost, 100), step, edge


@settings(max_examples=300, deadline=None)
@given(near_ratio_edges())
def test_breakpoints_hold_where_rounding_decides(
    engine: ScoringEngine, case: tuple[Candidate, Decimal, Decimal]
) -> None:
    candidate, step, _edge = case
    [levels] = score_levels([candidate], step, Edges.of_spec(engine.model.spec), engine.score_many)
    # The gap was built to land near the edge within six steps: the amounts up to eight steps cross it.
    near = range(min(max_steps(candidate.gap, step), 8) + 1)
    every = engine.score_many([features_after(candidate, step * k) for k in near])
    assert [r["score"] for r in every] == [levels.results[levels.at(k)]["score"] for k in range(len(every))]

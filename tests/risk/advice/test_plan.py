"""The plan under the real model: optimal against brute force over every split, within every limit, never worse
with more budget, and never worse than a baseline."""

from __future__ import annotations

import itertools
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from services.risk.advice import plan
from services.risk.advice.options import Candidate, Edges, Levels, features_after, max_steps, score_levels
from services.risk.advice.plan import Baseline, Objective
from services.risk.scoring.engine import ScoringEngine

STEP = Decimal("1000000.00")


@st.composite
def portfolios(draw: st.DrawFn) -> tuple[list[Candidate], int, Objective]:
    candidates = []
    for n in range(draw(st.integers(1, 3))):
        cost = Decimal(draw(st.integers(5, 60))) * 1_000_000
        # Gaps of up to 6 steps, not always whole steps, so the last part of a gap cannot always be bought.
        gap = min(cost, Decimal(draw(st.integers(1_000_000, 6_500_000))))
        features = {
            "stall_days": draw(st.sampled_from([0, 60, 150])),
            "progress_lag_pct": draw(st.sampled_from([0.0, 6.0, 20.0])),
            "funding_gap_amount": gap,
            "funding_gap_ratio": 0.0,
            "disputes_30d": draw(st.integers(0, 2)),
            "disputes_90d": draw(st.integers(0, 4)),
            "group_incidents_90d": 0,
            "overdue_days": draw(st.sampled_from([0, 250])),
        }
        candidates.append(Candidate(f"p{n}", f"P-{n}", "990101", features, cost, draw(st.integers(0, 800))))
    return candidates, draw(st.integers(0, 14)), draw(st.sampled_from(list(Objective)))


def levels_of(engine: ScoringEngine, candidates: list[Candidate]) -> list[Levels]:
    return score_levels(candidates, STEP, Edges.of_spec(engine.model.spec), engine.score_many)


def brute_force(engine: ScoringEngine, candidates: list[Candidate], budget: int, objective: Objective) -> int:
    """The best value of any split of the budget in whole steps, each project scored by the model itself."""
    tables = []
    for c in candidates:
        results = engine.score_many([features_after(c, STEP * k) for k in range(max_steps(c.gap, STEP) + 1)])
        weight = c.undelivered_units if objective is Objective.expected_undelivered_units else 1
        p0 = round(results[0]["probability"] * 10_000)
        tables.append([weight * (p0 - round(r["probability"] * 10_000)) for r in results])
    best = 0
    for split in itertools.product(*(range(len(t)) for t in tables)):
        if sum(split) <= budget:
            best = max(best, sum(t[k] for t, k in zip(tables, split, strict=True)))
    return best


def value(outcome: plan.Outcome, objective: Objective) -> int:
    return outcome.units_saved if objective is Objective.expected_undelivered_units else outcome.failures_avoided


@settings(max_examples=120, deadline=None)
@given(portfolios())
def test_the_plan_is_the_best_split_the_model_allows(
    engine: ScoringEngine, case: tuple[list[Candidate], int, Objective]
) -> None:
    candidates, budget, objective = case
    levels = levels_of(engine, candidates)
    units = [c.undelivered_units for c in candidates]
    best = plan.optimal(levels, units, objective, budget)
    assert value(best, objective) == brute_force(engine, candidates, budget, objective)
    # Limits: whole steps, never past a gap, never past the budget.
    assert best.allocated_steps == sum(best.steps) <= budget
    for c, k in zip(candidates, best.steps, strict=True):
        assert k >= 0 and STEP * k <= c.gap
    for kind in Baseline:
        split = plan.baseline_steps(kind, candidates, levels, STEP, budget)
        assert sum(split) <= budget
        assert all(STEP * k <= c.gap for c, k in zip(candidates, split, strict=True))
        assert value(plan.evaluate(levels, units, split), objective) <= value(best, objective), kind
    more = plan.optimal(levels, units, objective, budget + 1)
    assert value(more, objective) >= value(best, objective)


def test_baselines_split_as_their_names_say(engine: ScoringEngine) -> None:
    def candidate(name: str, gap: str, stall_days: int) -> Candidate:
        features = {
            "stall_days": stall_days,
            "progress_lag_pct": 0.0,
            "funding_gap_amount": Decimal(gap),
            "funding_gap_ratio": 0.0,
            "disputes_30d": 0,
            "disputes_90d": 0,
            "group_incidents_90d": 0,
            "overdue_days": 0,
        }
        return Candidate(name, name, "990101", features, Decimal("100000000.00"), 100)

    small_red = candidate("A", "10000000.00", 200)
    large_quiet = candidate("B", "30000000.00", 0)
    candidates = [small_red, large_quiet]
    levels = levels_of(engine, candidates)
    steps = {kind: plan.baseline_steps(kind, candidates, levels, STEP, 20) for kind in Baseline}
    # 20 steps against gaps of 10m and 30m: a quarter and three quarters.
    assert steps[Baseline.proportional_to_gap] == [5, 15]
    assert steps[Baseline.largest_gap_first] == [0, 20]
    assert steps[Baseline.reddest_first] == [10, 10]

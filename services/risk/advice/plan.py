"""From scored breakpoints to a plan: the knapsack's groups, the optimal plan, and the baselines it is held to.

Values are integers so the solver's sums and ties are exact: a probability is counted in ten-thousandths (the
model rounds it to four places), so the value of giving a project ``k`` steps is ``units x (p0 - pk)`` in
ten-thousandths of a home for the default objective, ``p0 - pk`` for the expected number of failed projects.
Pure functions: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from services.risk.advice import solver
from services.risk.advice.options import Candidate, Levels, max_steps
from services.risk.model.tiers import RiskTier, tier_rank

PROBABILITY_UNIT = 10_000


class Objective(StrEnum):
    """What the plan makes smallest: `expected_undelivered_units` (default), the sold homes expected not to be
    delivered, or `expected_failures`, the projects expected to fail."""

    expected_undelivered_units = "expected_undelivered_units"
    expected_failures = "expected_failures"


class Baseline(StrEnum):
    """A simple way to split the budget, for comparison: `proportional_to_gap` (every gap funded in the same
    proportion), `largest_gap_first` (gaps closed from the largest down), `reddest_first` (gaps closed from the
    highest probability of failure down)."""

    proportional_to_gap = "proportional_to_gap"
    largest_gap_first = "largest_gap_first"
    reddest_first = "reddest_first"


def ten_thousandths(probability: float) -> int:
    """A probability of four places as an exact integer of ten-thousandths."""
    return round(probability * PROBABILITY_UNIT)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a split of the budget does: steps per candidate, and its effect under the model (integers)."""

    steps: tuple[int, ...]
    allocated_steps: int
    units_saved: int  # ten-thousandths of a home
    failures_avoided: int  # ten-thousandths of a project


def evaluate(levels: Sequence[Levels], units: Sequence[int], steps: Sequence[int]) -> Outcome:
    """The effect of giving each candidate ``steps[i]`` budget steps."""
    saved = avoided = 0
    for level, unit, k in zip(levels, units, steps, strict=True):
        drop = ten_thousandths(level.results[0]["probability"]) - ten_thousandths(
            level.results[level.at(k)]["probability"]
        )
        saved += unit * drop
        avoided += drop
    return Outcome(tuple(steps), sum(steps), saved, avoided)


def groups(levels: Sequence[Levels], units: Sequence[int], objective: Objective) -> list[list[solver.Option]]:
    """Each candidate's options for the solver: nothing, then every breakpoint that gains more than the last."""
    out: list[list[solver.Option]] = []
    for level, unit in zip(levels, units, strict=True):
        weight = unit if objective is Objective.expected_undelivered_units else 1
        before = ten_thousandths(level.results[0]["probability"])
        options: list[solver.Option] = [(0, 0)]
        for k, result in zip(level.steps[1:], level.results[1:], strict=True):
            value = weight * (before - ten_thousandths(result["probability"]))
            if value > options[-1][1]:
                options.append((k, value))
        out.append(options)
    return out


def optimal(levels: Sequence[Levels], units: Sequence[int], objective: Objective, budget_steps: int) -> Outcome:
    """The plan of greatest value for ``objective`` within ``budget_steps`` (the cheapest of equal ones)."""
    options = groups(levels, units, objective)
    # Only candidates with something to buy enter the solver: the others would only cost memory.
    active = [i for i, o in enumerate(options) if len(o) > 1]
    solution = solver.solve([options[i] for i in active], budget_steps)
    steps = [0] * len(levels)
    for i, j in zip(active, solution.choices, strict=True):
        steps[i] = options[i][j][0]
    return evaluate(levels, units, steps)


def _fill(order: Sequence[int], tops: Sequence[int], budget_steps: int) -> list[int]:
    """Close gaps whole in ``order`` while the budget lasts; the one it runs out on gets what is left."""
    steps = [0] * len(tops)
    left = budget_steps
    for i in order:
        steps[i] = min(tops[i], left)
        left -= steps[i]
    return steps


def baseline_steps(
    kind: Baseline, candidates: Sequence[Candidate], levels: Sequence[Levels], step: Decimal, budget_steps: int
) -> list[int]:
    """How ``kind`` splits ``budget_steps`` among the candidates (each never past its gap)."""
    tops = [max_steps(c.gap, step) for c in candidates]
    if kind is Baseline.proportional_to_gap:
        cents = [int(c.gap * 100) for c in candidates]
        total = sum(cents)
        if total == 0:
            return [0] * len(candidates)
        return [min(top, budget_steps * cent // total) for top, cent in zip(tops, cents, strict=True)]
    key: Callable[[int], tuple[object, ...]]
    if kind is Baseline.largest_gap_first:

        def key(i: int) -> tuple[object, ...]:
            return (-candidates[i].gap, candidates[i].code)

    else:

        def key(i: int) -> tuple[object, ...]:
            before = levels[i].results[0]
            return (
                -ten_thousandths(before["probability"]),
                -tier_rank(RiskTier(before["tier"])),
                -candidates[i].gap,
                candidates[i].code,
            )

    return _fill(sorted(range(len(candidates)), key=key), tops, budget_steps)

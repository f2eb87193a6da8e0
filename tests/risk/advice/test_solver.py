"""The knapsack solver alone: exact against brute force, never worse with more budget, and strict on its input."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.risk.advice.solver import InvalidProblem, Option, solve


@st.composite
def problems(draw: st.DrawFn) -> tuple[list[list[Option]], int]:
    groups = []
    for _ in range(draw(st.integers(0, 5))):
        steps = sorted(draw(st.sets(st.integers(1, 7), max_size=4)))
        groups.append([(0, 0)] + [(s, draw(st.integers(0, 60))) for s in steps])
    return groups, draw(st.integers(0, 16))


def brute_force(groups: list[list[Option]], budget: int) -> tuple[int, int]:
    """The best value within the budget, and the fewest steps reaching it, by trying every combination."""
    best = (0, 0)
    for combo in itertools.product(*groups):
        steps = sum(s for s, _ in combo)
        value = sum(v for _, v in combo)
        if steps <= budget and (value > best[0] or (value == best[0] and steps < best[1])):
            best = (value, steps)
    return best


@settings(max_examples=300, deadline=None)
@given(problems())
def test_the_solution_is_the_brute_force_optimum_and_the_cheapest_of_equals(
    problem: tuple[list[list[Option]], int],
) -> None:
    groups, budget = problem
    solution = solve(groups, budget)
    chosen = [groups[g][j] for g, j in enumerate(solution.choices)]
    assert sum(s for s, _ in chosen) == solution.steps <= budget
    assert sum(v for _, v in chosen) == solution.value
    assert (solution.value, solution.steps) == brute_force(groups, budget)


@settings(max_examples=100, deadline=None)
@given(problems())
def test_more_budget_never_gives_a_worse_plan(problem: tuple[list[list[Option]], int]) -> None:
    groups, budget = problem
    values = [solve(groups, b).value for b in range(budget + 3)]
    assert values == sorted(values)


def test_a_worked_case() -> None:
    # Two projects; 4 steps. A alone at 3 steps gains 10; A at 1 step (4) + B at 3 steps (7) gains 11.
    groups = [[(0, 0), (1, 4), (3, 10)], [(0, 0), (3, 7)]]
    assert solve(groups, 4).choices == (1, 1)
    assert solve(groups, 3).choices == (2, 0)
    assert solve(groups, 0).choices == (0, 0)
    # An option that costs more than the budget is never chosen.
    assert solve([[(0, 0), (5, 100)]], 4).value == 0


def test_ties_keep_the_money() -> None:
    # Both options gain 5: the plan spends one step, not two.
    solution = solve([[(0, 0), (1, 5), (2, 5)]], 2)
    assert (solution.choices, solution.steps) == ((1,), 1)
    # Nothing worth buying: nothing is spent.
    assert solve([[(0, 0), (1, 0)]], 3).steps == 0


@pytest.mark.parametrize(
    ("groups", "budget"),
    [
        ([[(1, 0)]], 3),
        ([[]], 3),
        ([[(0, 0), (0, 5)]], 3),
        ([[(0, 0), (2, -1)]], 3),
        ([[(0, 0)]], -1),
    ],
)
def test_malformed_problems_are_refused(groups: list[list[Option]], budget: int) -> None:
    with pytest.raises(InvalidProblem):
        solve(groups, budget)

"""The exact solver of allocation advice: a multiple-choice knapsack by dynamic programming over budget steps.

Each project (a *group*) offers a few *options*: give it ``steps`` budget steps and gain ``value`` (an integer,
so that sums and ties are exact). Option 0 of every group is "nothing": 0 steps, value 0. At most one option is
taken per group and the steps taken never pass the budget. ``solve`` returns a plan of greatest total value,
and among those the one that spends the fewest steps.

Why exact. ``best[b]`` is the greatest value reachable with at most ``b`` steps over the groups seen so far;
adding a group takes, for every ``b``, the best of its options ``best[b - steps] + value``. That recurrence
enumerates every way to split the budget, so ``best[B]`` is the optimum; remembering which option won at each
``b`` lets the plan be read back from the end. Work and memory are ``groups x options x (B + 1)``, in numpy
arrays (one byte per group and budget step for the choices), so 2,000 projects over 5,000 steps take a fraction
of a second. More budget never gives less: ``best`` never falls as ``b`` grows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Option = tuple[int, int]
"""``(steps, value)``: budget steps the option takes and the (integer) value it gains."""


class InvalidProblem(ValueError):
    """The groups or the budget are malformed."""


@dataclass(frozen=True, slots=True)
class Solution:
    """The option chosen in each group (0: nothing), the total value gained and the steps spent."""

    choices: tuple[int, ...]
    value: int
    steps: int


def _check(groups: Sequence[Sequence[Option]], budget_steps: int) -> None:
    if budget_steps < 0:
        raise InvalidProblem("the budget must not be negative")
    for g, options in enumerate(groups):
        if not options or tuple(options[0]) != (0, 0):
            raise InvalidProblem(f"group {g}: option 0 must be (0 steps, value 0)")
        for steps, value in options[1:]:
            if steps <= 0 or value < 0:
                raise InvalidProblem(f"group {g}: options take at least one step and gain no negative value")


def solve(groups: Sequence[Sequence[Option]], budget_steps: int) -> Solution:
    """The options, one per group, of greatest total value within ``budget_steps``; the cheapest such plan.

    Options that take more steps than the budget are never chosen. Raises ``InvalidProblem`` when a group does
    not start with the option ``(0, 0)``, an option takes no step or gains a negative value, or the budget is
    negative.
    """
    _check(groups, budget_steps)
    width = budget_steps + 1
    most_options = max((len(options) for options in groups), default=1)
    choice = np.zeros((len(groups), width), dtype=np.uint8 if most_options <= 256 else np.uint16)
    best = np.zeros(width, dtype=np.int64)
    candidate = np.empty(width, dtype=np.int64)
    better = np.empty(width, dtype=bool)
    for g, options in enumerate(groups):
        current = best.copy()
        picked = choice[g]
        for j in range(1, len(options)):
            steps, value = options[j]
            if steps > budget_steps:
                continue
            size = width - steps
            # With this option, budget b holds best[b - steps] + value.
            np.add(best[:size], value, out=candidate[:size])
            # Strictly better only: on a tie the cheaper option (seen first, or nothing) stays.
            np.greater(candidate[:size], current[steps:], out=better[:size])
            np.copyto(current[steps:], candidate[:size], where=better[:size])
            np.copyto(picked[steps:], j, where=better[:size], casting="unsafe")
        best = current
    optimum = int(best[-1])
    # The fewest steps that reach the optimum; reading back from there gives a plan that spends exactly that.
    spent = int(np.argmax(best == optimum))
    chosen = [0] * len(groups)
    b = spent
    for g in range(len(groups) - 1, -1, -1):
        j = int(choice[g, b])
        chosen[g] = j
        b -= groups[g][j][0]
    return Solution(tuple(chosen), optimum, spent)

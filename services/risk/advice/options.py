"""What each amount would buy a project: the few amounts worth giving it, read off the scorecard's edges.

A project's features other than funding do not move with money, and its funding points are a step function of
the gap left: the amount feature drops a bin when the gap falls below one of its edges, the ratio feature when
the ratio, rounded half up to four places as the assessments round it, falls below one of its edges. So as the
amount grows in steps, the probability can only change at the first step below each edge: those steps (and 0)
are the *breakpoints*, and the probability at any amount is the one at the largest breakpoint not above it.
Everything here is exact integer or ``Decimal`` arithmetic; the probabilities come from the served model.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from services.risk.model.features import funding_gap_ratio

# Half of the last place kept by the ratio (four places, rounded half up).
_RATIO_HALF_UNIT = Decimal("0.00005")
# Amounts, edges and products have at most seven decimal places: scaled by 10^7 they are exact integers.
_SCALE = 7


@dataclass(frozen=True, slots=True)
class Edges:
    """The funding edges of the served scorecard: where the amount and the ratio features change bin."""

    amount: tuple[Decimal, ...]
    ratio: tuple[Decimal, ...]

    @classmethod
    def of_spec(cls, spec: Mapping[str, Any]) -> Edges:
        """The edges of a scorecard specification (``RiskModel.spec``)."""
        by_name = {feature["name"]: feature["edges"] for feature in spec["features"]}
        return cls(
            tuple(Decimal(e) for e in by_name["funding_gap_amount"]),
            tuple(Decimal(e) for e in by_name["funding_gap_ratio"]),
        )


@dataclass(slots=True)
class Candidate:
    """A project the advice may fund: its feature values today, its gap and cost, and the homes at stake."""

    project_id: str
    code: str
    district: str
    features: dict[str, Any]
    remaining_cost: Decimal
    undelivered_units: int

    @property
    def gap(self) -> Decimal:
        return Decimal(self.features["funding_gap_amount"])


@dataclass(slots=True)
class Levels:
    """A candidate's breakpoints (ascending budget steps, 0 first) and the scored result at each."""

    steps: list[int]
    results: list[dict[str, Any]] = field(default_factory=list)

    def at(self, steps: int) -> int:
        """Index of the breakpoint whose result holds when ``steps`` budget steps are given."""
        return bisect_right(self.steps, steps) - 1


def _first_step_below(gap: Decimal, threshold: Decimal, step: Decimal) -> int:
    """The fewest steps ``k`` with ``gap - k * step < threshold`` (0 when the gap is below it already)."""
    scale = Decimal(1).scaleb(_SCALE)
    over = int((gap - threshold) * scale)
    return max(0, over // int(step * scale) + 1)


def max_steps(gap: Decimal, step: Decimal) -> int:
    """The most steps a project may be given: amounts never pass its gap."""
    return int(gap // step)


def breakpoints(gap: Decimal, remaining_cost: Decimal, step: Decimal, edges: Edges) -> list[int]:
    """Ascending budget steps (0 first, none above ``max_steps``) at which the funding points may fall."""
    top = max_steps(gap, step)
    found = {0}
    for edge in edges.amount:
        found.add(_first_step_below(gap, edge, step))
    for edge in edges.ratio:
        # ratio < edge once rounded  <=>  gap_after / cost < edge - half a unit  <=>  gap_after < cost * (...)
        found.add(_first_step_below(gap, remaining_cost * (edge - _RATIO_HALF_UNIT), step))
    return sorted(k for k in found if k <= top)


def features_after(candidate: Candidate, amount: Decimal) -> dict[str, Any]:
    """The candidate's feature values once ``amount`` has closed part of its gap."""
    left = candidate.gap - amount
    return {
        **candidate.features,
        "funding_gap_amount": left,
        "funding_gap_ratio": float(funding_gap_ratio(left, candidate.remaining_cost)),
    }


def score_levels(
    candidates: Sequence[Candidate],
    step: Decimal,
    edges: Edges,
    score_many: Any,
) -> list[Levels]:
    """Each candidate's breakpoints, scored in one batch by ``score_many`` (``ScoringEngine.score_many``)."""
    levels = [Levels(breakpoints(c.gap, c.remaining_cost, step, edges)) for c in candidates]
    batch = [features_after(c, step * k) for c, level in zip(candidates, levels, strict=True) for k in level.steps]
    results = iter(score_many(batch))
    for level in levels:
        level.results = [next(results) for _ in level.steps]
    return levels

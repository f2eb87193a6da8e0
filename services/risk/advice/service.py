"""Allocation advice: which candidate projects a budget should go to, so that the most sold homes get delivered.

``Advisor.advise`` reads the facts of every candidate from registry and their funding positions from financing,
one bulk call each, works out with the served model what each amount would buy (``options``), solves the
allocation exactly (``plan`` and ``solver``) and explains every line. It writes nothing: the advice is a ranking
under the model, which a city admin may turn into allocations of a program in financing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.common import clock
from services.common.peers import PeerContractError
from services.common.peers.financing import FinancingClient, FundingPositions
from services.common.peers.registry import PEER as REGISTRY
from services.common.peers.registry import RegistryClient, RiskFactsItem
from services.risk.advice import plan
from services.risk.advice.options import Candidate, Edges, Levels, score_levels
from services.risk.advice.schemas import (
    MAX_BUDGET_STEPS,
    AdviceCreate,
    AdviceMethod,
    AdviceRead,
    AdviceTotals,
    BaselineRead,
    ContributionChange,
    Exclusion,
    ExclusionReason,
    PlanLine,
)
from services.risk.assessments.facts import project_inputs
from services.risk.assessments.service import ModelNotLoaded
from services.risk.scoring.engine import ScoringEngine, ServedModel

# The solver keeps one byte per candidate and budget step: this bounds its memory to 25 MB.
MAX_CELLS = 25_000_000
# Projects whose homes are handed over, or that were closed or disposed of, take no more policy money.
NOT_ELIGIBLE = frozenset({"delivered", "closed", "terminated"})

DISCLAIMER = (
    "A ranking under the risk model, not a credit decision; it never replaces the review of each project's plan "
    "(一项目一方案). 这是风险模型下的排序建议，不是授信决定，也不能替代一项目一方案的审查。"
)


class AdviceTooLarge(Exception):
    """The budget holds too many steps, or candidates times steps is too large, for the solver."""

    def __init__(self, detail: str, pointer: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.pointer = pointer


def _units(value: int) -> float:
    """Ten-thousandths of a home (or project) as a number with four places."""
    return round(value / plan.PROBABILITY_UNIT, 4)


@dataclass
class Advisor:
    """Built in the lifespan with the peers' clients and the served model."""

    registry: RegistryClient
    financing: FinancingClient
    served: ServedModel
    chunk_size: int

    async def advise(self, data: AdviceCreate) -> AdviceRead:
        """The optimal plan for ``data``, its baselines and explanations.

        Raises AdviceTooLarge (too many budget steps, or candidates times steps), ModelNotLoaded, PeerUnavailable
        (registry or financing cannot answer: no advice on guessed funding) and PeerContractError.
        """
        budget_steps = _budget_steps(data)
        engine = self.served.engine
        if engine is None:
            raise ModelNotLoaded()
        ids = None if data.all else list(dict.fromkeys(data.project_ids or ()))
        answer = await self.registry.query_risk_facts(ids, chunk_size=self.chunk_size)
        items = list({item.project_id: item for item in answer.items}.values())
        found = {item.project_id for item in items}
        not_found = [] if ids is None else [i for i in ids if i not in found]
        excluded = [
            Exclusion(project_id=i.project_id, reason=ExclusionReason.not_eligible)
            for i in items
            if i.status in NOT_ELIGIBLE
        ]
        eligible = [item for item in items if item.status not in NOT_ELIGIBLE]
        funding = await self.financing.query_funding_positions(
            [item.project_id for item in eligible], chunk_size=self.chunk_size
        )
        read_at = clock.now()
        candidates = _candidates(eligible, funding, data.step, excluded)
        if len(candidates) * (budget_steps + 1) > MAX_CELLS:
            raise AdviceTooLarge(
                f"{len(candidates)} candidates over {budget_steps} budget steps is more than the solver takes "
                f"({MAX_CELLS:,} candidate-steps): use a larger step or fewer projects.",
                "#/body/step",
            )
        # The scoring and the solver are CPU work: off the event loop, so other requests keep being answered.
        lines, totals, baselines = await asyncio.to_thread(_compute, engine, candidates, data, budget_steps)
        return AdviceRead(
            objective=data.objective,
            budget=data.budget,
            step=data.step,
            plan=lines,
            totals=totals,
            baselines=baselines,
            method=AdviceMethod.knapsack_dp,
            model_version=engine.model_version,
            thresholds_version=engine.policy.version,
            as_of=answer.as_of,
            facts_read_at=read_at,
            candidates=len(candidates),
            excluded=excluded,
            not_found=not_found,
            disclaimer=DISCLAIMER,
        )


def _budget_steps(data: AdviceCreate) -> int:
    """How many steps the budget holds; raises AdviceTooLarge when the step is above the budget or the steps
    are more than the solver takes."""
    budget_steps = int(data.budget // data.step)
    if data.step > data.budget:
        raise AdviceTooLarge("The step is larger than the budget.", "#/body/step")
    if budget_steps > MAX_BUDGET_STEPS:
        raise AdviceTooLarge(
            f"The budget holds {budget_steps} steps; at most {MAX_BUDGET_STEPS} are allowed: use a larger step.",
            "#/body/step",
        )
    return budget_steps


def _candidates(
    eligible: Sequence[RiskFactsItem], funding: FundingPositions, step: Decimal, excluded: list[Exclusion]
) -> list[Candidate]:
    """The projects the plan may fund: those whose funding is known and whose gap holds at least one step; the
    others are added to ``excluded`` with why."""
    candidates: list[Candidate] = []
    for item in eligible:
        if item.project_id in funding.unreadable:
            excluded.append(Exclusion(project_id=item.project_id, reason=ExclusionReason.funding_unknown))
            continue
        inputs = project_inputs(item, funding.positions.get(item.project_id), funding_known=True)
        if inputs.features["funding_gap_amount"] < step:
            excluded.append(Exclusion(project_id=item.project_id, reason=ExclusionReason.gap_below_step))
            continue
        candidates.append(
            Candidate(
                project_id=item.project_id,
                code=item.code,
                district=item.district,
                features=inputs.features,
                remaining_cost=item.facts.remaining_cost,
                undelivered_units=_undelivered(item),
            )
        )
    return candidates


def _undelivered(item: RiskFactsItem) -> int:
    if item.sold_units is None or item.delivered_units is None:
        raise PeerContractError(REGISTRY, "risk facts carry no sold_units or delivered_units")
    return max(item.sold_units - item.delivered_units, 0)


def _compute(
    engine: ScoringEngine, candidates: Sequence[Candidate], data: AdviceCreate, budget_steps: int
) -> tuple[list[PlanLine], AdviceTotals, list[BaselineRead]]:
    levels = score_levels(candidates, data.step, Edges.of_spec(engine.model.spec), engine.score_many)
    units = [c.undelivered_units for c in candidates]
    best = plan.optimal(levels, units, data.objective, budget_steps)
    lines = [
        _line(candidate, level, k, data.step)
        for candidate, level, k in zip(candidates, levels, best.steps, strict=True)
        if k > 0
    ]
    lines.sort(key=lambda line: (-line.expected_units_saved, line.code))
    allocated = data.step * best.allocated_steps
    totals = AdviceTotals(
        allocated=allocated,
        unallocated=data.budget - allocated,
        expected_units_saved=_units(best.units_saved),
        expected_failures_avoided=_units(best.failures_avoided),
        expected_undelivered_units_before=_units(
            sum(u * plan.ten_thousandths(lv.results[0]["probability"]) for u, lv in zip(units, levels, strict=True))
        ),
    )
    baselines = []
    for kind in plan.Baseline:
        outcome = plan.evaluate(levels, units, plan.baseline_steps(kind, candidates, levels, data.step, budget_steps))
        baselines.append(
            BaselineRead(
                name=kind,
                allocated=data.step * outcome.allocated_steps,
                expected_units_saved=_units(outcome.units_saved),
                expected_failures_avoided=_units(outcome.failures_avoided),
            )
        )
    return lines, totals, baselines


def _reasons(result: dict[str, Any]) -> list[dict[str, str]]:
    return [{"code": r.code, "zh": r.zh, "en": r.en} for r in result["reason_codes"]]


def _line(candidate: Candidate, level: Levels, steps: int, step: Decimal) -> PlanLine:
    before, after = level.results[0], level.results[level.at(steps)]
    amount = step * steps
    drop = plan.ten_thousandths(before["probability"]) - plan.ten_thousandths(after["probability"])
    changed = [
        ContributionChange(feature=b["feature"], points_before=b["points"], points_after=a["points"])
        for b, a in zip(before["contributions"], after["contributions"], strict=True)
        if b["points"] != a["points"]
    ]
    return PlanLine.model_validate(
        {
            "project_id": candidate.project_id,
            "code": candidate.code,
            "district": candidate.district,
            "amount": amount,
            "gap_before": candidate.gap,
            "gap_after": candidate.gap - amount,
            "undelivered_units": candidate.undelivered_units,
            "probability_before": before["probability"],
            "probability_after": after["probability"],
            "tier_before": before["tier"],
            "tier_after": after["tier"],
            "score_before": before["score"],
            "score_after": after["score"],
            "expected_units_saved": _units(candidate.undelivered_units * drop),
            "changed_contributions": changed,
            "reason_codes_before": _reasons(before),
            "reason_codes_after": _reasons(after),
        }
    )

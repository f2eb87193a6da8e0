"""From the registry's facts and financing's funding position to the model's feature values.

funding gap = max(0, remaining cost - own funds available - undrawn credit - unspent policy-fund allocations), in
``Decimal`` to the cent, and its ratio to the remaining cost (0 when nothing remains to pay). A project financing
does not list has neither credit lines nor allocations: both are 0. When financing could not answer, both
funding features are None (unknown) and the model gives them neutral points instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.common.money import format_money
from services.common.peers.financing import FundingPosition
from services.common.peers.registry import RiskFactsItem
from services.common.peers.scoring_facts import ScoringFactsItem
from services.risk.model.features import funding_gap, funding_gap_ratio

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


@dataclass(slots=True)
class ProjectInputs:
    """What one project is scored on: the facts as received and the feature values derived from them."""

    project_id: str
    district: str
    facts: dict[str, Any]
    features: dict[str, Any]

    @property
    def features_json(self) -> dict[str, Any]:
        """The feature values as stored and shown: money as a decimal string."""
        amount = self.features["funding_gap_amount"]
        return {**self.features, "funding_gap_amount": None if amount is None else format_money(amount)}


def project_inputs(
    item: RiskFactsItem | ScoringFactsItem, position: FundingPosition | None, funding_known: bool
) -> ProjectInputs:
    """The inputs of one project (facts decoded for assessments, or the full item allocation advice reads);
    ``position`` None with ``funding_known`` means the project has no credit and no allocation."""
    facts = item.facts
    undrawn: Decimal | None = None
    unspent: Decimal | None = None
    amount: Decimal | None = None
    ratio: float | None = None
    if funding_known:
        undrawn = position.undrawn_amount if position is not None else ZERO
        unspent = position.unspent_allocations if position is not None else ZERO
        # Unspent policy funds are money the project can still spend, as undrawn credit is.
        amount = funding_gap(facts.remaining_cost, facts.own_funds_available, undrawn + unspent)
        ratio = float(funding_gap_ratio(amount, facts.remaining_cost))
    # The facts as received, in the contract's order and form (what ``RiskFacts.model_dump(mode="json")`` gave).
    received = {
        "stall_days": facts.stall_days,
        "progress_lag_pct": str(facts.progress_lag_pct),
        "disputes_30d": facts.disputes_30d,
        "disputes_90d": facts.disputes_90d,
        "group_incidents_90d": facts.group_incidents_90d,
        "overdue_days": facts.overdue_days,
        "remaining_cost": format_money(facts.remaining_cost),
        "own_funds_available": format_money(facts.own_funds_available),
        "status": item.status,
        "contract_delivery_date": item.contract_delivery_date.isoformat(),
        "undrawn_amount": None if undrawn is None else format_money(undrawn),
        "unspent_allocations": None if unspent is None else format_money(unspent),
    }
    return ProjectInputs(
        project_id=item.project_id,
        district=item.district,
        facts=received,
        features={
            "stall_days": facts.stall_days,
            # The lag is a share of the whole project: 100 points is the most it can be.
            "progress_lag_pct": float(min(facts.progress_lag_pct, HUNDRED)),
            "funding_gap_amount": amount,
            "funding_gap_ratio": ratio,
            "disputes_30d": facts.disputes_30d,
            "disputes_90d": facts.disputes_90d,
            "group_incidents_90d": facts.group_incidents_90d,
            "overdue_days": facts.overdue_days,
        },
    )

"""The registry's risk facts as assessments read them: decoded with msgspec into plain structs, not pydantic
models (``registry.RiskFactsAnswer``, which other callers keep).

A whole-portfolio reassessment decodes 50,000 items before it can score the first one; pydantic built three
models an item and ran the money validator in Python, about 0.45 s of CPU. Here msgspec checks the shape and
the types in one pass and only the two amounts an item are parsed in Python (``parse_money``, the money
contract's own parser). The contract is the pydantic models': the same fields and bounds, unknown fields
ignored, every field of an item checked (not only those scored). It is stricter in one way: a count or a date
must come as JSON gives it (``5``, ``"2026-11-29"``), where pydantic also took ``"5"`` or ``5.0``, and the lag
as the registry writes it, plain digits in a string (``"12.5"``), where pydantic also took a JSON number (read
through a float: ``1.50`` became ``1.5``) or ``"1e2"``; the registry sends nothing else. Whatever breaks it
raises ``PeerContractError``, so nothing is scored from a broken answer.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

import msgspec

from services.common.money import parse_money
from services.common.peers import PeerContractError

PEER = "registry"
_Count = Annotated[int, msgspec.Meta(ge=0)]
_Lag = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{1,12}(\.[0-9]{1,12})?$")]


class ScoringFacts(msgspec.Struct, frozen=True, gc=False):
    """``registry.RiskFacts``: money in yuan (``Decimal``, two places), lag in percentage points."""

    stall_days: int
    progress_lag_pct: Decimal
    disputes_30d: int
    disputes_90d: int
    group_incidents_90d: int
    overdue_days: int
    remaining_cost: Decimal
    own_funds_available: Decimal


class ScoringFactsItem(msgspec.Struct, frozen=True, gc=False):
    """What an assessment reads of one ``registry.RiskFactsItem``."""

    project_id: str
    district: str
    status: str
    contract_delivery_date: date
    facts: ScoringFacts


class ScoringFactsAnswer(msgspec.Struct, frozen=True, gc=False):
    as_of: date
    items: list[ScoringFactsItem]


class _Facts(msgspec.Struct, gc=False):
    stall_days: _Count
    progress_lag_pct: _Lag
    disputes_30d: _Count
    disputes_90d: _Count
    group_incidents_90d: _Count
    overdue_days: _Count
    remaining_cost: str
    own_funds_available: str


class _Outcome(msgspec.Struct, gc=False):
    kind: str
    delivered_on: date | None = None


class _Item(msgspec.Struct, gc=False):
    project_id: str
    code: str
    district: str
    status: str
    contract_delivery_date: date
    facts: _Facts
    name: str = ""
    sold_units: _Count | None = None
    delivered_units: _Count | None = None
    outcome: _Outcome | None = None


class _Answer(msgspec.Struct, gc=False):
    as_of: date
    items: list[_Item]


_decoder = msgspec.json.Decoder(_Answer)


def decode(content: bytes, path: str) -> ScoringFactsAnswer:
    """An answer of ``POST /v1/risk-facts/query``. Raises PeerContractError when it breaks the contract."""
    try:
        answer = _decoder.decode(content)
    except msgspec.DecodeError as exc:
        raise PeerContractError(PEER, f"{path}: {exc}") from exc
    items = []
    for item in answer.items:
        facts = item.facts
        lag = Decimal(facts.progress_lag_pct)  # plain digits, non-negative and finite by _Lag's pattern
        try:
            remaining, own = parse_money(facts.remaining_cost), parse_money(facts.own_funds_available)
        except ValueError as exc:
            raise PeerContractError(PEER, f"{path}: an amount of project {item.project_id}: {exc}") from exc
        scored = ScoringFacts(
            facts.stall_days,
            lag,
            facts.disputes_30d,
            facts.disputes_90d,
            facts.group_incidents_90d,
            facts.overdue_days,
            remaining,
            own,
        )
        items.append(ScoringFactsItem(item.project_id, item.district, item.status, item.contract_delivery_date, scored))
    return ScoringFactsAnswer(answer.as_of, items)

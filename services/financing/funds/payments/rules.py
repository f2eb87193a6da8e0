"""The rules of the funds a payment must meet, decided without touching the database.

- 专款专用: the payment's use is one the program may pay for;
- 新老划断: the liability it pays arose on or after the program's cutover date (no old debts);
- the allocation's limit: the payments never add up to more than the allocation.

A payment that breaks one is refused with the first rule it breaks, in that order.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from services.common.money import format_money
from services.financing.funds.programs.schemas import FundUse


class Rule(StrEnum):
    """The funds' rules a payment can break: `use_not_eligible` 专款专用 (a use the program does not pay for),
    `liability_before_cutover` 新老划断 (a debt from before the cutover date), `exceeds_allocation` (more than
    the allocation has left)."""

    use_not_eligible = "use_not_eligible"
    liability_before_cutover = "liability_before_cutover"
    exceeds_allocation = "exceeds_allocation"


@dataclass(frozen=True)
class Breach:
    """The rule a payment breaks and what the caller is told."""

    rule: Rule
    detail: str


def breach(
    *,
    use: FundUse,
    liability_incurred_on: date,
    amount: Decimal,
    eligible_uses: Collection[str],
    cutover_date: date,
    unspent: Decimal,
) -> Breach | None:
    """The first rule a payment of ``amount`` for ``use`` breaks, or None when it meets them all."""
    if use.value not in eligible_uses:
        allowed = ", ".join(u.value for u in FundUse if u.value in eligible_uses)
        return Breach(
            Rule.use_not_eligible,
            f"The program pays only for {allowed} (专款专用); `{use.value}` is not one of its uses.",
        )
    if liability_incurred_on < cutover_date:
        return Breach(
            Rule.liability_before_cutover,
            f"The liability arose on {liability_incurred_on}, before the program's cutover on {cutover_date} "
            "(新老划断): the program does not repay old debts.",
        )
    if amount > unspent:
        return Breach(
            Rule.exceeds_allocation,
            f"The allocation has {format_money(unspent)} unspent; {format_money(amount)} would take its payments "
            "past the amount allocated.",
        )
    return None

"""The rules of the funds as a pure decision: which one a payment breaks first."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.financing.funds.payments.rules import Rule, breach
from services.financing.funds.programs.schemas import FundUse

CUTOVER = date(2022, 7, 1)
USES = ("construction", "current_wages")


def _rule(use: FundUse, liability: date, amount: str, unspent: str = "100.00") -> Rule | None:
    found = breach(
        use=use,
        liability_incurred_on=liability,
        amount=Decimal(amount),
        eligible_uses=USES,
        cutover_date=CUTOVER,
        unspent=Decimal(unspent),
    )
    return found.rule if found else None


def test_each_rule_and_their_order() -> None:
    assert _rule(FundUse.construction, CUTOVER, "100.00") is None
    assert _rule(FundUse.current_wages, date(2030, 1, 1), "0.01") is None
    assert _rule(FundUse.materials, CUTOVER, "1.00") is Rule.use_not_eligible
    assert _rule(FundUse.construction, date(2022, 6, 30), "1.00") is Rule.liability_before_cutover
    assert _rule(FundUse.construction, CUTOVER, "100.01") is Rule.exceeds_allocation
    assert _rule(FundUse.materials, date(2022, 6, 30), "100.01") is Rule.use_not_eligible
    assert _rule(FundUse.construction, date(2022, 6, 30), "100.01") is Rule.liability_before_cutover

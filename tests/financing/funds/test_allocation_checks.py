"""The allocation's checks alone, on a program held in memory: the figures are the test's own."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.common.problems import ProblemError
from services.financing.funds.allocations.service import check_allocation
from services.financing.models import FundProgram

TODAY = date(2026, 6, 15)


def _program(granted: str = "1000000.00", allocated: str = "400000.00") -> FundProgram:
    return FundProgram(
        granted_amount=Decimal(granted), allocated_amount=Decimal(allocated), granted_on=date(2026, 5, 1)
    )


def _refused(program: FundProgram, amount: str, on: date = TODAY, status: str = "stalled") -> tuple[int, str]:
    with pytest.raises(ProblemError) as refused:
        check_allocation(program, {"status": status}, Decimal(amount), on, TODAY)
    return refused.value.status, refused.value.slug


def test_exactly_what_is_left_may_be_allocated_and_a_cent_more_may_not() -> None:
    program = _program()
    left = program.granted_amount - program.allocated_amount
    assert left == Decimal("600000.00")
    check_allocation(program, {"status": "stalled"}, left, TODAY, TODAY)
    assert _refused(program, str(left + Decimal("0.01"))) == (409, "over-allocation")


def test_the_day_lies_between_the_grant_and_today() -> None:
    program = _program()
    check_allocation(program, {"status": "stalled"}, Decimal("1.00"), program.granted_on, TODAY)
    assert _refused(program, "1.00", on=date(2026, 4, 30)) == (422, "validation-error")
    assert _refused(program, "1.00", on=date(2026, 6, 16)) == (422, "validation-error")


@pytest.mark.parametrize("status", ["terminated", "closed"])
def test_a_finished_project_takes_no_policy_funds(status: str) -> None:
    assert _refused(_program(), "1.00", status=status) == (409, "project-not-eligible")

"""The rectification loop's table and the finding's deadline, as pure functions."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.registry.calendar.counting import WorkingCalendar
from services.registry.calendar.shipped import official_years
from services.registry.inspections.service import derive
from services.registry.inspections.status import (
    FindingAction,
    FindingState,
    RecheckResult,
    Refusal,
    refusal,
    target,
)
from services.registry.models import Finding

A, S = FindingAction, FindingState
CALENDAR = WorkingCalendar(y.days for y in official_years().values())


@pytest.mark.parametrize(
    ("action", "state", "result", "lands"),
    [
        (A.reply, S.open, None, S.replied),
        (A.reply, S.reopened, None, S.replied),
        (A.recheck, S.replied, RecheckResult.passed, S.closed),
        (A.recheck, S.replied, RecheckResult.failed, S.reopened),
        (A.escalate, S.open, None, S.open),
        (A.escalate, S.reopened, None, S.reopened),
    ],
)
def test_each_legal_move_lands_where_the_loop_says(
    action: FindingAction, state: FindingState, result: RecheckResult | None, lands: FindingState
) -> None:
    assert refusal(action, state, overdue=True, escalated=False) is None
    assert target(action, state, result) is lands


def test_every_other_move_is_refused_and_escalation_needs_lateness_once() -> None:
    legal = {
        (A.reply, S.open),
        (A.reply, S.reopened),
        (A.recheck, S.replied),
        (A.escalate, S.open),
        (A.escalate, S.reopened),
    }
    for action in A:
        for state in S:
            expected = None if (action, state) in legal else Refusal.state
            assert refusal(action, state, overdue=True, escalated=False) is expected
    assert refusal(A.escalate, S.open, overdue=False, escalated=False) is Refusal.not_overdue
    assert refusal(A.escalate, S.open, overdue=True, escalated=True) is Refusal.escalated


def finding(start: date, days: int, state: FindingState = S.open) -> Finding:
    return Finding(deadline_from=start, deadline_working_days=days, state=state.value, created_at=datetime(2026, 1, 1))


@given(st.dates(date(2024, 1, 1), date(2026, 10, 31)), st.integers(1, 30), st.integers(0, 90))
def test_an_open_finding_is_late_exactly_after_its_due_date(start: date, days: int, later: int) -> None:
    today = start + timedelta(days=later)
    own = derive(CALENDAR, finding(start, days), today)
    assert own.due_on == CALENDAR.add(start, days).value
    assert own.overdue == (today > own.due_on)
    assert own.working_days_overdue == (CALENDAR.count(own.due_on, today).value if own.overdue else 0)
    replied = derive(CALENDAR, finding(start, days, S.replied), today)
    assert (replied.due_on, replied.overdue, replied.working_days_overdue) == (own.due_on, False, 0)

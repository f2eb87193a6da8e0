"""The approval clock and the report's statistics as pure functions, over generated cases."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.registry.approvals.deadlines import derive
from services.registry.approvals.report import percentile_90
from services.registry.approvals.schemas import ClockState
from services.registry.approvals.status import ApprovalState
from services.registry.calendar.counting import WorkingCalendar
from services.registry.calendar.shipped import official_years
from services.registry.models import Approval, ApprovalPause

CALENDAR = WorkingCalendar(y.days for y in official_years().values())
DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 10, 31))


def case(received_on: date, limit: int, state: ApprovalState = ApprovalState.accepted) -> Approval:
    return Approval(
        received_on=received_on,
        limit_working_days=limit,
        state=state.value,
        last_moved_on=received_on,
        created_at=datetime(2026, 1, 1),
    )


@given(DAYS, st.integers(1, 30), st.integers(0, 60))
def test_a_running_case_is_overdue_exactly_after_its_due_date(received_on: date, limit: int, later: int) -> None:
    approval = case(received_on, limit)
    today = received_on + timedelta(days=later)
    clock = derive(CALENDAR, approval, [], today, 3)
    assert (clock.clock is ClockState.overdue) == (today > clock.due_on)
    assert clock.working_days_used == CALENDAR.count(received_on, today).value
    on_due = derive(CALENDAR, approval, [], clock.due_on, 3)
    assert on_due.working_days_used == limit
    # On the due date no working day is left: due soon, not yet overdue.
    assert on_due.clock is ClockState.due_soon


@given(DAYS, st.integers(1, 30), st.integers(0, 20), st.integers(0, 20))
def test_a_pause_moves_the_due_date_by_the_working_days_it_covers(
    received_on: date, limit: int, after: int, length: int
) -> None:
    began = received_on + timedelta(days=after)
    ended = began + timedelta(days=length)
    pause = ApprovalPause(reason="correction", began_on=began, ended_on=ended)
    plain = derive(CALENDAR, case(received_on, limit), [], ended, 3)
    paused = derive(CALENDAR, case(received_on, limit), [pause], ended, 3)
    covered = CALENDAR.count(began, ended).value
    assert paused.working_days_used == plain.working_days_used - covered
    assert paused.due_on >= plain.due_on
    if began >= plain.due_on:
        # A pause begun once the period had run out gives no time back.
        assert paused.due_on == plain.due_on
    elif ended < plain.due_on:
        # A pause inside the period pushes its end back by every working day it covers.
        assert CALENDAR.count(plain.due_on, paused.due_on).value == covered


@given(st.lists(st.integers(0, 100), min_size=1, max_size=50))
def test_the_90th_percentile_is_a_value_at_least_90_percent_do_not_pass(values: list[int]) -> None:
    p90 = percentile_90(values)
    assert p90 in values
    assert sum(v <= p90 for v in values) >= 0.9 * len(values)
    assert sum(v < p90 for v in values) < 0.9 * len(values)

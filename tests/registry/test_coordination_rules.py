"""The coordination item's deadline and state table as pure functions, over generated items."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.registry.calendar.counting import WorkingCalendar
from services.registry.calendar.shipped import official_years
from services.registry.coordination.deadlines import derive
from services.registry.coordination.status import (
    FROM,
    OPEN,
    CoordinationAction,
    CoordinationState,
    allowed,
    target,
)
from services.registry.models import CoordinationItem

CALENDAR = WorkingCalendar(y.days for y in official_years().values())
DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 10, 31))


def item(start: date, days: int, state: CoordinationState, resolved_on: date | None = None) -> CoordinationItem:
    return CoordinationItem(
        raised_on=start,
        deadline_from=start,
        deadline_working_days=days,
        state=state.value,
        resolved_on=resolved_on,
        last_moved_on=start,
        created_at=datetime(2026, 1, 1),
    )


@given(DAYS, st.integers(1, 30), st.integers(0, 60), st.sampled_from(sorted(OPEN)))
def test_an_open_item_is_overdue_exactly_after_its_due_date(
    start: date, days: int, later: int, state: CoordinationState
) -> None:
    today = start + timedelta(days=later)
    own = derive(CALENDAR, item(start, days, state), today)
    assert own.due_on == CALENDAR.add(start, days).value
    assert CALENDAR.count(start, own.due_on).value == days
    assert own.overdue == (today > own.due_on)
    assert own.working_days_overdue == (CALENDAR.count(own.due_on, today).value if own.overdue else 0)
    assert own.resolved_within_deadline is None


@given(DAYS, st.integers(1, 30), st.integers(0, 60), st.integers(0, 60))
def test_a_resolved_item_is_never_overdue_and_says_whether_it_met_its_deadline(
    start: date, days: int, resolved_after: int, read_after: int
) -> None:
    resolved_on = start + timedelta(days=resolved_after)
    today = resolved_on + timedelta(days=read_after)
    for state in (CoordinationState.resolved, CoordinationState.confirmed):
        own = derive(CALENDAR, item(start, days, state, resolved_on), today)
        assert own.overdue is False
        assert own.resolved_within_deadline == (resolved_on <= own.due_on)
        # How late it was resolved stays fixed however long after it is read.
        late = CALENDAR.count(own.due_on, resolved_on).value if resolved_on > own.due_on else 0
        assert own.working_days_overdue == late


def test_every_action_lands_where_the_table_says() -> None:
    S, A = CoordinationState, CoordinationAction
    for action, states in FROM.items():
        for state in CoordinationState:
            assert allowed(action, state) == (state in states)
    assert [target(A.accept, S.reopened), target(A.resolve, S.reopened)] == [S.accepted, S.resolved]
    assert target(A.escalate, S.accepted) is S.accepted
    # Escalation is for items not yet resolved, and a confirmed item is final.
    assert FROM[A.escalate] == OPEN
    assert not any(allowed(action, S.confirmed) for action in CoordinationAction)

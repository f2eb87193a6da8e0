"""An approval's clock, derived with no I/O from the case, its pauses, the calendar in effect and today.

The clock starts the day after receipt (the day of receipt is not counted) and runs until the decision or
withdrawal; pauses (补正, special procedures) stop it, a running pause up to today. Nothing here is stored, so
a year's holiday notice published later moves every due date at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from services.registry.approvals.schemas import ClockState
from services.registry.approvals.status import RUNNING, ApprovalState
from services.registry.calendar.counting import Pause, WorkingCalendar
from services.registry.models import Approval, ApprovalPause


@dataclass(frozen=True, slots=True)
class Clock:
    due_on: date
    working_days_used: int
    clock: ClockState | None
    within_limit: bool | None
    working_days_overdue: int
    estimated: bool


def pauses_until(pauses: Iterable[ApprovalPause], today: date) -> list[Pause]:
    """The case's pauses for counting, a running one as ending today (or on its start, if that is later)."""
    return [Pause(p.began_on, p.ended_on or max(today, p.began_on)) for p in pauses]


def derive(
    calendar: WorkingCalendar,
    approval: Approval,
    pauses: Sequence[ApprovalPause],
    today: date,
    due_soon_working_days: int,
) -> Clock:
    """The case's due date, working days used, clock and whether any of it rests on an estimated year."""
    stops = pauses_until(pauses, today)
    due = calendar.add(approval.received_on, approval.limit_working_days, stops)
    running = ApprovalState(approval.state) in RUNNING
    end = today if running else (approval.decided_on or approval.ended_on or today)
    end = max(end, approval.received_on)
    used = calendar.count(approval.received_on, end, stops)
    estimated = due.estimated or used.estimated
    overdue_by = 0
    if end > due.value:
        late = calendar.count(due.value, end, stops)
        overdue_by, estimated = late.value, estimated or late.estimated
    state: ClockState | None = None
    within: bool | None = None
    if running:
        if today > due.value:
            state = ClockState.overdue
        else:
            left = calendar.count(today, due.value, stops)
            estimated = estimated or left.estimated
            state = ClockState.due_soon if left.value <= due_soon_working_days else ClockState.on_track
    elif approval.decided_on is not None:
        within = approval.decided_on <= due.value
    return Clock(due.value, used.value, state, within, overdue_by, estimated)


_SEVERITY = {ClockState.on_track: 0, ClockState.due_soon: 1, ClockState.overdue: 2}


def worst(clocks: Iterable[ClockState | None]) -> ClockState | None:
    """The most urgent of the clocks given; None when none is running."""
    running = [c for c in clocks if c is not None]
    return max(running, key=_SEVERITY.__getitem__) if running else None

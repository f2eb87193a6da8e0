"""A coordination item's deadline, derived with no I/O from the item, the calendar in effect and today.

The deadline runs from ``deadline_from`` (the day raised, or the day last reopened; that day is not counted)
for ``deadline_working_days`` official working days, exactly as an approval's clock counts. Nothing is stored,
so a holiday notice published later moves every due date at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.registry.calendar.counting import WorkingCalendar
from services.registry.coordination.status import OPEN, CoordinationState
from services.registry.models import CoordinationItem


@dataclass(frozen=True, slots=True)
class Deadline:
    due_on: date
    overdue: bool
    working_days_overdue: int
    resolved_within_deadline: bool | None
    estimated: bool


def derive(calendar: WorkingCalendar, item: CoordinationItem, today: date) -> Deadline:
    """The item's due date; for an open item whether it is late today and by how many working days; for a
    resolved one whether it was resolved by its due date, and how late if not."""
    due = calendar.add(item.deadline_from, item.deadline_working_days)
    estimated = due.estimated
    state = CoordinationState(item.state)
    is_open = state in OPEN
    end = today if is_open else (item.resolved_on or today)
    late_by = 0
    if end > due.value:
        late = calendar.count(due.value, end)
        late_by, estimated = late.value, estimated or late.estimated
    within = None if is_open or item.resolved_on is None else item.resolved_on <= due.value
    return Deadline(due.value, is_open and today > due.value, late_by, within, estimated)

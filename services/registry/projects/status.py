"""The project status machine."""

from __future__ import annotations

from enum import StrEnum


class ProjectStatus(StrEnum):
    """A project's status: `registered` 已登记, `under_construction` 在建, `stalled` 停工, `completed` 竣工,
    `delivered` 已交付, `closed` 已办结, `terminated` 终止 (处置)."""

    registered = "registered"
    under_construction = "under_construction"
    stalled = "stalled"
    completed = "completed"
    delivered = "delivered"
    closed = "closed"
    terminated = "terminated"


S = ProjectStatus

TRANSITIONS: dict[ProjectStatus, frozenset[ProjectStatus]] = {
    S.registered: frozenset({S.under_construction, S.terminated}),
    S.under_construction: frozenset({S.stalled, S.completed, S.terminated}),
    S.stalled: frozenset({S.under_construction, S.completed, S.terminated}),
    S.completed: frozenset({S.delivered, S.terminated}),
    S.delivered: frozenset({S.closed}),
    S.closed: frozenset(),
    S.terminated: frozenset(),
}

INITIAL = frozenset({S.registered, S.under_construction})
# Statuses in which the project is still being built: weekly reports describe its work, and it can lag its plan.
REPORTABLE = frozenset({S.registered, S.under_construction, S.stalled})


def can_transition(current: ProjectStatus, target: ProjectStatus) -> bool:
    return target in TRANSITIONS[current]

"""The coordination item's state machine (协调事项), pure: which action moves an item from which states to where.

`raised → accepted → resolved → confirmed`; `resolved → reopened` when the district finds the problem not
solved, and a reopened item is taken up again (`accept`) or resolved straight away (`resolve`). `escalate`
(督办) changes no state: it marks an overdue item not yet resolved, once.
"""

from __future__ import annotations

from enum import StrEnum


class CoordinationState(StrEnum):
    """`raised` 已提出, `accepted` 已受理 (the lead department took it), `resolved` 已解决 (the department says so),
    `confirmed` 已确认 (the district agrees: the end), `reopened` 重新打开 (the district does not agree)."""

    raised = "raised"
    accepted = "accepted"
    resolved = "resolved"
    confirmed = "confirmed"
    reopened = "reopened"


class CoordinationAction(StrEnum):
    """A move: `accept`, `resolve` (with `resolution`), `confirm`, `reopen` (with `note`, optionally a new
    `deadline_working_days`), `escalate` (督办, with `note`)."""

    accept = "accept"
    resolve = "resolve"
    confirm = "confirm"
    reopen = "reopen"
    escalate = "escalate"


S = CoordinationState
A = CoordinationAction

# Open items run against their deadline: they can be late, and escalated.
OPEN = frozenset({S.raised, S.accepted, S.reopened})

FROM: dict[CoordinationAction, frozenset[CoordinationState]] = {
    A.accept: frozenset({S.raised, S.reopened}),
    A.resolve: frozenset({S.accepted, S.reopened}),
    A.confirm: frozenset({S.resolved}),
    A.reopen: frozenset({S.resolved}),
    A.escalate: OPEN,
}

# Where each action lands; `escalate` stays where it is.
TO: dict[CoordinationAction, CoordinationState | None] = {
    A.accept: S.accepted,
    A.resolve: S.resolved,
    A.confirm: S.confirmed,
    A.reopen: S.reopened,
    A.escalate: None,
}


def allowed(action: CoordinationAction, state: CoordinationState) -> bool:
    return state in FROM[action]


def target(action: CoordinationAction, state: CoordinationState) -> CoordinationState:
    """The state ``action`` moves an item in ``state`` to; the caller checked ``allowed`` first."""
    return TO[action] or state

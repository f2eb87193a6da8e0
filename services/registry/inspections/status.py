"""The finding's rectification loop (整改) as a table: which action moves a finding from which states to where.

`open` (notice issued) → `reply` → `replied` → `recheck` pass → `closed` (销号), or fail → `reopened` (with a
new deadline) → `reply` → `replied` → ... `escalate` (督办) leaves the state as it is: it is allowed on an
open or reopened finding past its deadline, once. Pure: the service reads, asks here, and writes.
"""

from __future__ import annotations

from enum import StrEnum


class FindingState(StrEnum):
    """`open` 已下发整改通知, `replied` 已回复 (awaiting the recheck), `reopened` 复查不通过 (a new deadline runs),
    `closed` 复查通过, 销号."""

    open = "open"
    replied = "replied"
    reopened = "reopened"
    closed = "closed"


class FindingAction(StrEnum):
    """`reply` (with `measures_taken`), `recheck` (with `result` `pass` or `fail`; a fail takes
    `deadline_working_days`), `escalate` (督办, with `note`)."""

    reply = "reply"
    recheck = "recheck"
    escalate = "escalate"


class RecheckResult(StrEnum):
    """A recheck's result: `pass` (复查通过: the finding closes) or `fail` (复查不通过: it reopens with a new
    deadline)."""

    passed = "pass"
    failed = "fail"


S = FindingState
A = FindingAction

FROM: dict[FindingAction, frozenset[FindingState]] = {
    A.reply: frozenset({S.open, S.reopened}),
    A.recheck: frozenset({S.replied}),
    A.escalate: frozenset({S.open, S.reopened}),
}

# The states whose deadline runs: only these can be overdue.
RUNNING = frozenset({S.open, S.reopened})


class Refusal(StrEnum):
    """Why a move is refused (409): the state does not allow it, or an escalation's own conditions."""

    state = "state"
    not_overdue = "not_overdue"
    escalated = "escalated"


def target(action: FindingAction, state: FindingState, result: RecheckResult | None) -> FindingState:
    """Where ``action`` takes a finding in ``state`` (the state it is in, for an escalation)."""
    if action is A.reply:
        return S.replied
    if action is A.recheck:
        return S.closed if result is RecheckResult.passed else S.reopened
    return state


def refusal(action: FindingAction, state: FindingState, *, overdue: bool, escalated: bool) -> Refusal | None:
    """None when ``action`` is legal now, else why not."""
    if state not in FROM[action]:
        return Refusal.state
    if action is A.escalate:
        if escalated:
            return Refusal.escalated
        if not overdue:
            return Refusal.not_overdue
    return None

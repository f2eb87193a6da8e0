"""The approval case's state machine, as a table: which action moves a case from which states to which."""

from __future__ import annotations

from enum import StrEnum


class ApprovalState(StrEnum):
    """A case's state: `received` 收件, `accepted` 受理, `paused` 中止计时 (补正 or a special procedure),
    `approved` 准予许可, `approved_with_tolerance` 容缺许可 (materials still owed), `refused` 不予许可,
    `closed` 容缺办结 (every owed material supplied), `suspended` 容缺中止 (an owed material overdue),
    `revoked` 撤销, `withdrawn` 申请人撤回."""

    received = "received"
    accepted = "accepted"
    paused = "paused"
    approved = "approved"
    approved_with_tolerance = "approved_with_tolerance"
    refused = "refused"
    closed = "closed"
    suspended = "suspended"
    revoked = "revoked"
    withdrawn = "withdrawn"


class ApprovalAction(StrEnum):
    """A move: `accept`, `pause` (with `reason`), `resume`, `approve`, `approve_with_tolerance`, `refuse` (with
    `reason`), `supplement` (with `material`), `resume_suspended`, `revoke` (with `reason`), `withdraw`."""

    accept = "accept"
    pause = "pause"
    resume = "resume"
    approve = "approve"
    approve_with_tolerance = "approve_with_tolerance"
    refuse = "refuse"
    supplement = "supplement"
    resume_suspended = "resume_suspended"
    revoke = "revoke"
    withdraw = "withdraw"


S = ApprovalState
A = ApprovalAction

# The states an action may be taken from. Where it lands is decided by the service for `supplement` and
# `resume_suspended` (closed once nothing is owed); every other action lands on one state.
FROM: dict[ApprovalAction, frozenset[ApprovalState]] = {
    A.accept: frozenset({S.received}),
    A.pause: frozenset({S.accepted}),
    A.resume: frozenset({S.paused}),
    A.approve: frozenset({S.accepted}),
    A.approve_with_tolerance: frozenset({S.accepted}),
    A.refuse: frozenset({S.accepted}),
    A.supplement: frozenset({S.received, S.accepted, S.paused, S.approved_with_tolerance, S.suspended}),
    A.resume_suspended: frozenset({S.suspended}),
    A.revoke: frozenset({S.suspended}),
    A.withdraw: frozenset({S.received, S.accepted, S.paused}),
}

TO: dict[ApprovalAction, ApprovalState] = {
    A.accept: S.accepted,
    A.pause: S.paused,
    A.resume: S.accepted,
    A.approve: S.approved,
    A.approve_with_tolerance: S.approved_with_tolerance,
    A.refuse: S.refused,
    A.resume_suspended: S.approved_with_tolerance,
    A.revoke: S.revoked,
    A.withdraw: S.withdrawn,
}

# The clock runs until a decision or a withdrawal.
RUNNING = frozenset({S.received, S.accepted, S.paused})
DECIDED = frozenset({S.approved, S.approved_with_tolerance, S.refused, S.closed, S.suspended, S.revoked})
DECISIONS = frozenset({A.approve, A.approve_with_tolerance, A.refuse})


def allowed(action: ApprovalAction, state: ApprovalState) -> bool:
    return state in FROM[action]

"""The whitelist entry's lifecycle in the city's financing coordination mechanism.

``nominated`` (by the district) -> ``prereviewed`` (district pre-review passed) -> ``listed`` (city approved)
-> ``pushed`` (to the chosen banks; pushing again adds banks). Before listing an entry may be returned for
rectification and resubmitted; at any point the city may remove it, with a reason.
"""

from __future__ import annotations

from enum import StrEnum

from services.common.auth import Role
from services.common.problems import conflict, forbidden


class EntryStatus(StrEnum):
    """Where a whitelist entry stands: `nominated` 区县推荐, `prereviewed` 区县初审通过, `listed` 列入白名单,
    `pushed` 已推送银行, `returned` 退回整改, `removed` 移出名单."""

    nominated = "nominated"
    prereviewed = "prereviewed"
    listed = "listed"
    pushed = "pushed"
    returned = "returned"
    removed = "removed"


class Action(StrEnum):
    """A step of a whitelist entry's lifecycle: `prereview_pass` 区县初审通过, `city_approve` 市级审核通过
    (列入名单), `push` 推送银行, `remove` 移出名单, `return_for_rectification` 退回整改, `resubmit`
    整改后重新提交."""

    prereview_pass = "prereview_pass"
    city_approve = "city_approve"
    push = "push"
    remove = "remove"
    return_for_rectification = "return_for_rectification"
    resubmit = "resubmit"


S = EntryStatus

# action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[Action, tuple[frozenset[EntryStatus], EntryStatus]] = {
    Action.prereview_pass: (frozenset({S.nominated}), S.prereviewed),
    Action.city_approve: (frozenset({S.prereviewed}), S.listed),
    Action.push: (frozenset({S.listed, S.pushed}), S.pushed),
    Action.remove: (frozenset({S.nominated, S.prereviewed, S.listed, S.pushed, S.returned}), S.removed),
    Action.return_for_rectification: (frozenset({S.nominated, S.prereviewed, S.listed}), S.returned),
    Action.resubmit: (frozenset({S.returned}), S.nominated),
}

# Who may take each action; a district officer only on its district's entries, and returns only what it
# pre-reviews (a nominated entry).
ACTORS: dict[Action, frozenset[Role]] = {
    Action.prereview_pass: frozenset({Role.city_admin, Role.district_officer}),
    Action.city_approve: frozenset({Role.city_admin}),
    Action.push: frozenset({Role.city_admin}),
    Action.remove: frozenset({Role.city_admin}),
    Action.return_for_rectification: frozenset({Role.city_admin, Role.district_officer}),
    Action.resubmit: frozenset({Role.city_admin, Role.district_officer}),
}

DISTRICT_RETURNABLE = frozenset({S.nominated})


def target_of(action: Action, current: EntryStatus) -> EntryStatus | None:
    """The status ``action`` leads to from ``current``, or None when the lifecycle forbids it."""
    sources, target = TRANSITIONS[action]
    return target if current in sources else None


def move(role: Role, action: Action, current: EntryStatus) -> EntryStatus:
    """The status an entry at ``current`` takes when ``role`` takes ``action``.

    Raises ProblemError 403 (the role may not take the action, or a district officer returns an entry it does
    not pre-review) or 409 ``illegal-transition`` (the lifecycle forbids the action from ``current``).
    """
    if role not in ACTORS[action]:
        raise forbidden(f"Your role may not take the action {action.value}.")
    if (
        action is Action.return_for_rectification
        and role is Role.district_officer
        and current not in DISTRICT_RETURNABLE
    ):
        raise forbidden("A district officer returns only entries it pre-reviews.")
    target = target_of(action, current)
    if target is None:
        raise conflict(f"An entry cannot be {action.value} while {current.value}.", slug="illegal-transition")
    return target

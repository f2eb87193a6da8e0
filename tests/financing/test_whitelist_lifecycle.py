"""The whitelist lifecycle's decision alone: who may take which step from where, and where it leads."""

from __future__ import annotations

import itertools

import pytest

from services.common.auth import Role
from services.common.problems import ProblemError
from services.financing.whitelist.status import ACTORS, TRANSITIONS, Action, EntryStatus, move


def _refusal(role: Role, action: Action, current: EntryStatus) -> tuple[int, str]:
    with pytest.raises(ProblemError) as refused:
        move(role, action, current)
    return refused.value.status, refused.value.slug


@pytest.mark.parametrize(("action", "current"), list(itertools.product(Action, EntryStatus)))
def test_a_city_admin_moves_exactly_along_the_lifecycle(action: Action, current: EntryStatus) -> None:
    sources, target = TRANSITIONS[action]
    if current in sources:
        assert move(Role.city_admin, action, current) is target
    else:
        assert _refusal(Role.city_admin, action, current) == (409, "illegal-transition")


@pytest.mark.parametrize("action", list(Action))
def test_a_role_without_the_action_is_refused_403_before_the_lifecycle(action: Action) -> None:
    for role in set(Role) - ACTORS[action]:
        for current in EntryStatus:
            assert _refusal(role, action, current) == (403, "forbidden")


def test_a_district_officer_returns_only_what_it_prereviews() -> None:
    assert move(Role.district_officer, Action.return_for_rectification, EntryStatus.nominated) is EntryStatus.returned
    for current in (EntryStatus.prereviewed, EntryStatus.listed):
        assert _refusal(Role.district_officer, Action.return_for_rectification, current) == (403, "forbidden")
    assert move(Role.city_admin, Action.return_for_rectification, EntryStatus.listed) is EntryStatus.returned

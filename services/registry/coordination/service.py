"""Coordination rules: raising items, moving them through their state machine, reading their deadlines, and the
registry's daily announcement of the items that became late.

Every function takes what it needs (the session, the outbox, the caller, the day) and never FastAPI's request,
so the daily job and the overdue board call the same code an endpoint does. Nothing commits here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.auth import Principal
from services.common.events import EventType
from services.common.outbox import Outbox
from services.common.problems import ProblemError, conflict, not_found, unprocessable
from services.registry import audit
from services.registry.calendar import service as calendar_service
from services.registry.calendar.counting import FIRST_DAY
from services.registry.coordination import repository
from services.registry.coordination.deadlines import Deadline, derive
from services.registry.coordination.schemas import (
    CoordinationItemCreate,
    CoordinationItemOverdue,
    CoordinationItemRead,
    CoordinationTopic,
    CoordinationTransition,
)
from services.registry.coordination.status import (
    FROM,
    OPEN,
    CoordinationAction,
    CoordinationState,
    allowed,
    target,
)
from services.registry.models import CoordinationItem, Project
from services.registry.scope import can_see_district

A = CoordinationAction
S = CoordinationState

TOPIC_TITLES = {
    "power": "电力接入",
    "water": "供水接入",
    "gas": "燃气接入",
    "supporting_facilities": "配套设施",
    "permits": "手续办理",
    "funding": "资金",
    "other": "其他",
}


def title(item: CoordinationItem) -> str:
    """What the item is about, in words: the `other` item's name, else the topic's Chinese title."""
    return item.topic_name or TOPIC_TITLES.get(item.topic, item.topic)


class Reader(calendar_service.DayReader):
    """Reads items for one request or job: the calendar is loaded once and every deadline counted on it."""

    def deadline(self, item: CoordinationItem) -> Deadline:
        return derive(self.calendar, item, self.today)

    def read(self, item: CoordinationItem) -> CoordinationItemRead:
        own = self.deadline(item)
        return CoordinationItemRead(
            id=item.id,
            project_id=item.project_id,
            district=item.district,
            topic=CoordinationTopic(item.topic),
            topic_name=item.topic_name,
            description=item.description,
            lead_department=item.lead_department,
            raised_on=item.raised_on,
            deadline_working_days=item.deadline_working_days,
            deadline_from=item.deadline_from,
            state=S(item.state),
            accepted_on=item.accepted_on,
            resolved_on=item.resolved_on,
            resolution=item.resolution,
            confirmed_on=item.confirmed_on,
            reopened_on=item.reopened_on,
            times_reopened=item.times_reopened,
            due_on=own.due_on,
            overdue=own.overdue,
            working_days_overdue=own.working_days_overdue,
            resolved_within_deadline=own.resolved_within_deadline,
            estimated=own.estimated,
            escalated=item.escalated_on is not None,
            escalated_on=item.escalated_on,
            escalation_note=item.escalation_note,
            created_by=item.created_by,
            created_at=item.created_at,
            updated_at=item.updated_at,
        )

    def read_all(self, items: Sequence[CoordinationItem]) -> list[CoordinationItemRead]:
        return [self.read(item) for item in items]


def snapshot(item: CoordinationItem) -> dict[str, Any]:
    """What the audit log keeps of an item."""

    def day(value: date | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "state": item.state,
        "last_moved_on": item.last_moved_on.isoformat(),
        "deadline_from": item.deadline_from.isoformat(),
        "deadline_working_days": item.deadline_working_days,
        "accepted_on": day(item.accepted_on),
        "resolved_on": day(item.resolved_on),
        "resolution": item.resolution,
        "confirmed_on": day(item.confirmed_on),
        "reopened_on": day(item.reopened_on),
        "escalated_on": day(item.escalated_on),
    }


async def load_visible(
    session: AsyncSession, principal: Principal, item_id: str, *, for_update: bool = False
) -> CoordinationItem:
    """The item, or ProblemError(404) when it does not exist or belongs to another district."""
    item = await repository.get(session, item_id, for_update=for_update)
    if item is None or not can_see_district(principal, item.district):
        raise not_found("coordination item")
    return item


async def create(
    session: AsyncSession, principal: Principal, project: Project, data: CoordinationItemCreate
) -> CoordinationItem:
    """Raise an item on ``project``; audited. Raises ProblemError 422 for `raised_on` in the future or before the
    calendar's first year, or a `topic_name` given or missing wrongly."""
    today = clock.today()
    raised_on = data.raised_on or today
    if raised_on > today:
        raise unprocessable("raised_on may not be in the future.", "#/body/raised_on")
    if raised_on < FIRST_DAY:
        raise unprocessable(f"raised_on may not be before {FIRST_DAY.isoformat()}.", "#/body/raised_on")
    if (data.topic is CoordinationTopic.other) != (data.topic_name is not None):
        raise unprocessable("topic_name names an `other` topic, and only that.", "#/body/topic_name")
    now = clock.now()
    item = CoordinationItem(
        project_id=project.id,
        district=project.district,
        topic=data.topic.value,
        topic_name=data.topic_name,
        description=data.description,
        lead_department=data.lead_department,
        raised_on=raised_on,
        deadline_working_days=data.deadline_working_days,
        deadline_from=raised_on,
        state=S.raised.value,
        last_moved_on=raised_on,
        times_reopened=0,
        created_by=principal.sub,
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    await session.flush()
    after = snapshot(item)
    after.update(
        topic=item.topic,
        topic_name=item.topic_name,
        lead_department=item.lead_department,
        raised_on=raised_on.isoformat(),
        description=item.description,
    )
    await audit.record(
        session,
        principal,
        entity="coordination_item",
        entity_id=item.id,
        project_id=project.id,
        action="create",
        after=after,
    )
    return item


def _illegal(action: CoordinationAction, state: CoordinationState) -> ProblemError:
    allowed_from = ", ".join(sorted(s.value for s in FROM[action]))
    return ProblemError(
        409,
        f"An item that is {state.value} cannot be moved by {action.value}; it is allowed from: {allowed_from}.",
        slug="illegal-transition",
        title="Illegal transition",
    )


def _required(value: str | None, action: CoordinationAction, field: str) -> str:
    if value is None:
        raise unprocessable(f"{action.value} needs a {field}.", f"#/body/{field}")
    return value


async def transition(
    session: AsyncSession, principal: Principal, item: CoordinationItem, data: CoordinationTransition
) -> CoordinationItem:
    """Move the item by ``data.action``; audited.

    Raises ProblemError 409 when the action is not allowed from the item's state, or for `escalate` when the
    item is not overdue on `on` or was escalated already; 422 for a date in the future or before the item's
    last move, a missing `resolution` or `note`, or a `resolution` or `deadline_working_days` given with an action
    they do not go with.
    """
    today = clock.today()
    on = data.on or today
    action, state = data.action, S(item.state)
    if not allowed(action, state):
        raise _illegal(action, state)
    if on > today:
        raise unprocessable("on may not be in the future.", "#/body/on")
    if on < item.last_moved_on:
        raise unprocessable(
            f"The item last moved on {item.last_moved_on.isoformat()}; on may not be earlier.", "#/body/on"
        )
    if data.resolution is not None and action is not A.resolve:
        raise unprocessable("resolution goes with resolve only.", "#/body/resolution")
    if data.deadline_working_days is not None and action is not A.reopen:
        raise unprocessable("deadline_working_days goes with reopen only.", "#/body/deadline_working_days")
    before = snapshot(item)
    if action is A.accept:
        item.accepted_on = on
    elif action is A.resolve:
        item.resolution = _required(data.resolution, action, "resolution")
        item.resolved_on = on
    elif action is A.confirm:
        item.confirmed_on = on
    elif action is A.reopen:
        _required(data.note, action, "note")
        item.reopened_on = on
        item.times_reopened += 1
        item.resolved_on = None
        item.resolution = None
        item.deadline_from = on
        item.deadline_working_days = data.deadline_working_days or item.deadline_working_days
        # A new deadline: its lateness is announced afresh.
        item.overdue_notified_at = None
    elif action is A.escalate:
        note = _required(data.note, action, "note")
        if item.escalated_on is not None:
            raise conflict(
                f"The item was escalated on {item.escalated_on.isoformat()}; it is escalated once.",
                slug="illegal-transition",
            )
        reader = await Reader.open(session, on)
        due_on = reader.deadline(item).due_on
        if on <= due_on:
            raise conflict(
                f"The item is due on {due_on.isoformat()}; only an overdue item is escalated.",
                slug="illegal-transition",
            )
        item.escalated_on = on
        item.escalation_note = note
    item.state = target(action, state).value
    item.last_moved_on = on
    item.updated_at = clock.now()
    await session.flush()
    after = snapshot(item)
    if data.note is not None:
        after["note"] = data.note
    await audit.record(
        session,
        principal,
        entity="coordination_item",
        entity_id=item.id,
        project_id=item.project_id,
        action=action.value,
        before=before,
        after=after,
    )
    return item


def overdue_payload(reader: Reader, item: CoordinationItem) -> dict[str, Any]:
    own = reader.deadline(item)
    event = CoordinationItemOverdue(
        coordination_item_id=item.id,
        district=item.district,
        topic=CoordinationTopic(item.topic),
        topic_name=item.topic_name,
        lead_department=item.lead_department,
        state=S(item.state),
        raised_on=item.raised_on,
        deadline_from=item.deadline_from,
        deadline_working_days=item.deadline_working_days,
        due_on=own.due_on,
        working_days_overdue=own.working_days_overdue,
        estimated=own.estimated,
    )
    return event.model_dump(mode="json")


async def daily(session: AsyncSession, outbox: Outbox, today: date) -> list[str]:
    """The registry's daily job for coordination items: announce ``coordination_item.overdue`` once for each item
    not yet resolved that is past its due date on ``today``; a reopened item's new deadline is announced anew.
    Running it twice on a day changes nothing the second time. Returns the ids announced."""
    reader = await Reader.open(session, today)
    now = clock.now()
    announced: list[str] = []
    for item in await repository.in_states(session, [s.value for s in OPEN], for_update=True):
        if item.overdue_notified_at is not None or not reader.deadline(item).overdue:
            continue
        await outbox.emit(
            session, EventType.coordination_item_overdue, overdue_payload(reader, item), project_id=item.project_id
        )
        item.overdue_notified_at = now
        announced.append(item.id)
    await session.flush()
    return announced

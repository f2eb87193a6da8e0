"""Approval rules: receiving cases, moving them through their state machine, and reading their clocks.

Every function takes what it needs (the session, the outbox, the caller, the rules from the settings) and
never FastAPI's request, so the daily job calls the same code an endpoint does. Nothing commits here: the
caller's unit of work does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.auth import Principal
from services.common.events import EventType
from services.common.outbox import Outbox
from services.common.problems import ProblemError, conflict, not_found, unprocessable
from services.registry import audit
from services.registry.approvals import repository
from services.registry.approvals.deadlines import Clock, derive, worst
from services.registry.approvals.schemas import (
    ApprovalCreate,
    ApprovalDecided,
    ApprovalEvent,
    ApprovalItem,
    ApprovalRead,
    ApprovalTransition,
    CommitmentRead,
    GreenChannelRead,
    MaterialRead,
    ParallelGroupRead,
    PauseRead,
    PauseReason,
    ToleranceRead,
)
from services.registry.approvals.status import DECISIONS, FROM, TO, ApprovalAction, ApprovalState, allowed
from services.registry.calendar import service as calendar_service
from services.registry.calendar.counting import FIRST_DAY, WorkingCalendar
from services.registry.models import Approval, ApprovalMaterial, ApprovalPause, Project
from services.registry.scope import can_see_district
from services.registry.settings import RegistrySettings

A = ApprovalAction
S = ApprovalState


@dataclass(frozen=True, slots=True)
class Rules:
    """What the settings say about approvals: each item's limits, and how near a due date is `due_soon`."""

    statutory: dict[str, int]
    committed: dict[str, int]
    due_soon_working_days: int

    @classmethod
    def of(cls, settings: RegistrySettings) -> Rules:
        limits = settings.approval_limits
        return cls(
            statutory={item: limit.statutory for item, limit in limits.items()},
            committed={item: limit.committed for item, limit in limits.items()},
            due_soon_working_days=settings.approval_due_soon_working_days,
        )


@dataclass(slots=True)
class Case:
    """A case with what its clock is counted from."""

    approval: Approval
    materials: list[ApprovalMaterial]
    pauses: list[ApprovalPause]


class Reader:
    """Reads cases for one request or job: the calendar is loaded once and every case counted on it."""

    def __init__(self, session: AsyncSession, rules: Rules, calendar: WorkingCalendar, today: date) -> None:
        self.session, self.rules, self.calendar, self.today = session, rules, calendar, today

    @classmethod
    async def open(cls, session: AsyncSession, rules: Rules, today: date | None = None) -> Reader:
        return cls(session, rules, await calendar_service.load(session), today or clock.today())

    def clock_of(self, case: Case) -> Clock:
        return derive(self.calendar, case.approval, case.pauses, self.today, self.rules.due_soon_working_days)

    async def cases(self, approvals: Sequence[Approval]) -> list[Case]:
        ids = [a.id for a in approvals]
        materials = await repository.materials_of(self.session, ids)
        pauses = await repository.pauses_of(self.session, ids)
        return [Case(a, materials.get(a.id, []), pauses.get(a.id, [])) for a in approvals]

    async def read(self, approvals: Sequence[Approval]) -> list[ApprovalRead]:
        """The cases as the API shows them, their parallel groups' clocks included."""
        cases = await self.cases(approvals)
        groups = {a.parallel_group_id for a in approvals}
        members = await repository.group_members(self.session, groups)
        read_ids = {a.id for a in approvals}
        others = await self.cases([m for m in members if m.id not in read_ids])
        clocks = {c.approval.id: self.clock_of(c) for c in [*cases, *others]}
        by_group: dict[str, list[str]] = {}
        for member in members:
            by_group.setdefault(member.parallel_group_id, []).append(member.id)
        return [self._read(case, clocks, by_group[case.approval.parallel_group_id]) for case in cases]

    def _read(self, case: Case, clocks: dict[str, Clock], group: list[str]) -> ApprovalRead:
        a, own = case.approval, clocks[case.approval.id]
        tolerance = None
        if case.materials:
            commitment = (
                CommitmentRead(signer=a.commitment_signer, signed_on=a.commitment_signed_on)
                if a.commitment_signer is not None and a.commitment_signed_on is not None
                else None
            )
            tolerance = ToleranceRead(
                missing=[
                    MaterialRead(
                        name=m.name, due_on=m.due_on, supplied_on=m.supplied_on, overdue=_overdue(m, self.today)
                    )
                    for m in case.materials
                ],
                commitment=commitment,
            )
        green = None
        if a.green_channel_reason is not None:
            green = GreenChannelRead(reason=a.green_channel_reason, approved_by=a.green_channel_approved_by or "")
        return ApprovalRead(
            id=a.id,
            project_id=a.project_id,
            district=a.district,
            item=ApprovalItem(a.item),
            item_name=a.item_name,
            lead_department=a.lead_department,
            co_departments=list(a.co_departments),
            received_on=a.received_on,
            limit_working_days=a.limit_working_days,
            statutory_working_days=a.statutory_working_days,
            green_channel=green,
            tolerance=tolerance,
            state=S(a.state),
            pauses=[
                PauseRead(reason=PauseReason(p.reason), began_on=p.began_on, ended_on=p.ended_on) for p in case.pauses
            ],
            decided_on=a.decided_on,
            ended_on=a.ended_on,
            reason=a.reason,
            due_on=own.due_on,
            working_days_used=own.working_days_used,
            clock=own.clock,
            within_limit=own.within_limit,
            estimated=own.estimated,
            parallel_group=ParallelGroupRead(
                id=a.parallel_group_id,
                members=len(group),
                due_on=max(clocks[m].due_on for m in group),
                clock=worst(clocks[m].clock for m in group),
            ),
            created_by=a.created_by,
            created_at=a.created_at,
            updated_at=a.updated_at,
        )


def _overdue(material: ApprovalMaterial, today: date) -> bool:
    return material.supplied_on is None and material.due_on < today


def snapshot(case: Case) -> dict[str, Any]:
    """What the audit log keeps of a case."""
    a = case.approval
    return {
        "state": a.state,
        "last_moved_on": a.last_moved_on.isoformat(),
        "decided_on": a.decided_on.isoformat() if a.decided_on else None,
        "ended_on": a.ended_on.isoformat() if a.ended_on else None,
        "reason": a.reason,
        "materials_supplied": sorted(m.name for m in case.materials if m.supplied_on is not None),
        "paused": any(p.ended_on is None for p in case.pauses),
    }


async def load_visible(
    session: AsyncSession, principal: Principal, approval_id: str, *, for_update: bool = False
) -> Approval:
    """The case, or ProblemError(404) when it does not exist or belongs to another district."""
    approval = await repository.get(session, approval_id, for_update=for_update)
    if approval is None or not can_see_district(principal, approval.district):
        raise not_found("approval")
    return approval


def _check_received(data: ApprovalCreate, today: date) -> None:
    if data.received_on > today:
        raise unprocessable("received_on may not be in the future.", "#/body/received_on")
    if data.received_on < FIRST_DAY:
        raise unprocessable(f"received_on may not be before {FIRST_DAY.isoformat()}.", "#/body/received_on")
    if (data.item is ApprovalItem.other) != (data.item_name is not None):
        raise unprocessable("item_name names an `other` item, and only that.", "#/body/item_name")
    if data.tolerance is not None:
        seen: set[str] = set()
        for index, material in enumerate(data.tolerance.missing):
            if material.name in seen:
                raise unprocessable(f"{material.name} is listed twice.", f"#/body/tolerance/missing/{index}/name")
            seen.add(material.name)
            if material.due_on < data.received_on:
                raise unprocessable(
                    "A material cannot be due before the application was received.",
                    f"#/body/tolerance/missing/{index}/due_on",
                )
        if data.tolerance.commitment.signed_on > today:
            raise unprocessable("A commitment cannot be signed in the future.", "#/body/tolerance/commitment/signed_on")


async def create(
    session: AsyncSession, rules: Rules, principal: Principal, project: Project, data: ApprovalCreate
) -> Approval:
    """Receive a case for ``project``; audited.

    Raises ProblemError 422 for a date in the future or out of order, an `item_name` given or missing wrongly,
    a limit above the item's statutory one, or a `parallel_with` that is not a case of the project received the
    same day.
    """
    _check_received(data, clock.today())
    statutory, limit = _limits(rules, data)
    group_id = await _parallel_group(session, project, data)
    approval = _new_case(principal, project, data, statutory, limit, group_id)
    session.add(approval)
    await session.flush()
    if group_id is None:
        approval.parallel_group_id = approval.id
    materials = [
        ApprovalMaterial(approval_id=approval.id, position=index, name=m.name, due_on=m.due_on)
        for index, m in enumerate(data.tolerance.missing if data.tolerance else [])
    ]
    session.add_all(materials)
    await session.flush()
    after = snapshot(Case(approval, materials, []))
    after.update(
        item=approval.item,
        received_on=approval.received_on.isoformat(),
        limit_working_days=limit,
        lead_department=approval.lead_department,
        green_channel=approval.green_channel_reason is not None,
        note=data.note,
    )
    await audit.record(
        session,
        principal,
        entity="approval",
        entity_id=approval.id,
        project_id=project.id,
        action="create",
        after=after,
    )
    return approval


def _limits(rules: Rules, data: ApprovalCreate) -> tuple[int, int]:
    """The item's statutory limit and the case's own (the committed one unless given); raises ProblemError 422
    when the case's is above the statutory one."""
    statutory = rules.statutory[data.item.value]
    limit = data.limit_working_days or rules.committed[data.item.value]
    if limit > statutory:
        raise unprocessable(
            f"The statutory limit for {data.item.value} is {statutory} working days; a case may not promise more.",
            "#/body/limit_working_days",
        )
    return statutory, limit


async def _parallel_group(session: AsyncSession, project: Project, data: ApprovalCreate) -> str | None:
    """The parallel group the case joins (None: it starts its own); raises ProblemError 422 when
    ``parallel_with`` is not a case of the same project received the same day."""
    if data.parallel_with is None:
        return None
    partner = await repository.get(session, data.parallel_with)
    if partner is None or partner.project_id != project.id or partner.received_on != data.received_on:
        raise unprocessable(
            "parallel_with must name a case of the same project received the same day.", "#/body/parallel_with"
        )
    return partner.parallel_group_id


def _new_case(
    principal: Principal, project: Project, data: ApprovalCreate, statutory: int, limit: int, group_id: str | None
) -> Approval:
    now = clock.now()
    return Approval(
        project_id=project.id,
        district=project.district,
        item=data.item.value,
        item_name=data.item_name,
        lead_department=data.lead_department,
        co_departments=list(data.co_departments),
        parallel_group_id=group_id or "",
        received_on=data.received_on,
        limit_working_days=limit,
        statutory_working_days=statutory,
        green_channel_reason=data.green_channel.reason if data.green_channel else None,
        green_channel_approved_by=data.green_channel.approved_by if data.green_channel else None,
        commitment_signer=data.tolerance.commitment.signer if data.tolerance else None,
        commitment_signed_on=data.tolerance.commitment.signed_on if data.tolerance else None,
        state=S.received.value,
        last_moved_on=data.received_on,
        created_by=principal.sub,
        created_at=now,
        updated_at=now,
    )


def _illegal(action: ApprovalAction, state: ApprovalState) -> ProblemError:
    allowed_from = ", ".join(sorted(s.value for s in FROM[action]))
    return ProblemError(
        409,
        f"A case that is {state.value} cannot be moved by {action.value}; it is allowed from: {allowed_from}.",
        slug="illegal-transition",
        title="Illegal transition",
    )


def _required(value: str | None, action: ApprovalAction, field: str) -> str:
    if value is None:
        raise unprocessable(f"{action.value} needs a {field}.", f"#/body/{field}")
    return value


def event_payload(reader: Reader, case: Case, model: type[ApprovalEvent], **extra: Any) -> dict[str, Any]:
    a, own = case.approval, reader.clock_of(case)
    event = model(
        approval_id=a.id,
        district=a.district,
        item=ApprovalItem(a.item),
        item_name=a.item_name,
        lead_department=a.lead_department,
        state=S(a.state),
        received_on=a.received_on,
        due_on=own.due_on,
        working_days_used=own.working_days_used,
        limit_working_days=a.limit_working_days,
        estimated=own.estimated,
        **extra,
    )
    return event.model_dump(mode="json")


async def transition(
    session: AsyncSession,
    outbox: Outbox,
    rules: Rules,
    principal: Principal,
    approval: Approval,
    data: ApprovalTransition,
) -> Approval:
    """Move the case by ``data.action``; audited, and a decision announced as ``approval.decided``.

    Raises ProblemError 409 (the action is not allowed from the case's state, or does not fit its materials:
    approving while materials are owed, approving with tolerance when none are, supplying one twice, resuming
    a suspension while a material is still overdue) and 422 (a date in the future or before the last move, a
    missing or unknown reason or material).
    """
    today = clock.today()
    on = data.on or today
    _check_move(approval, data.action, on, today)
    reader = Reader(session, rules, await calendar_service.load(session), today)
    [case] = await reader.cases([approval])
    before = snapshot(case)
    target = _apply(session, case, data, on)
    action = data.action
    if target is not None:
        approval.state = target.value
    if action in DECISIONS:
        approval.decided_on = on
    if target in (S.closed, S.revoked, S.withdrawn):
        approval.ended_on = on
    approval.last_moved_on = on
    approval.updated_at = clock.now()
    await session.flush()
    after = snapshot(case)
    if data.note is not None:
        after["note"] = data.note
    await audit.record(
        session,
        principal,
        entity="approval",
        entity_id=approval.id,
        project_id=approval.project_id,
        action=action.value,
        before=before,
        after=after,
    )
    if action in DECISIONS:
        own = reader.clock_of(case)
        payload = event_payload(reader, case, ApprovalDecided, decided_on=on, within_limit=bool(own.within_limit))
        await outbox.emit(session, EventType.approval_decided, payload, project_id=approval.project_id)
    return approval


def _check_move(approval: Approval, action: A, on: date, today: date) -> None:
    """Raises ProblemError 409 when ``action`` is not allowed from the case's state, 422 when ``on`` is in the
    future or before the case's last move."""
    state = S(approval.state)
    if not allowed(action, state):
        raise _illegal(action, state)
    if on > today:
        raise unprocessable("on may not be in the future.", "#/body/on")
    if on < approval.last_moved_on:
        raise unprocessable(
            f"The case last moved on {approval.last_moved_on.isoformat()}; on may not be earlier.", "#/body/on"
        )


def _apply(session: AsyncSession, case: Case, data: ApprovalTransition, on: date) -> S | None:
    """What the action does to the case besides its state (pauses, reasons, materials); the state it moves to.

    Raises ProblemError 409 when the action does not fit the case's materials, 422 for a missing or unknown
    reason or material.
    """
    approval, action, state = case.approval, data.action, S(case.approval.state)
    owed = [m for m in case.materials if m.supplied_on is None]
    target = TO.get(action)
    if action is A.pause:
        reason = _required(data.reason, action, "reason")
        if reason not in {r.value for r in PauseReason}:
            raise unprocessable("A pause's reason is correction or special_procedure.", "#/body/reason")
        pause = ApprovalPause(approval_id=approval.id, reason=reason, began_on=on)
        session.add(pause)
        case.pauses.append(pause)
    elif action in (A.resume, A.withdraw):
        for pause in case.pauses:
            if pause.ended_on is None:
                pause.ended_on = on
    elif action is A.approve and owed:
        raise conflict(
            f"{len(owed)} material(s) are still owed; approve_with_tolerance, or supplement them first.",
            slug="illegal-transition",
        )
    elif action is A.approve_with_tolerance and not owed:
        raise conflict("No material is owed: approve without tolerance.", slug="illegal-transition")
    elif action in (A.refuse, A.revoke):
        approval.reason = _required(data.reason, action, "reason")
    elif action is A.supplement:
        name = _required(data.material, action, "material")
        material = next((m for m in case.materials if m.name == name), None)
        if material is None:
            raise unprocessable(f"{name} is not one of the case's missing materials.", "#/body/material")
        if material.supplied_on is not None:
            raise conflict(f"{name} was supplied on {material.supplied_on.isoformat()}.", slug="illegal-transition")
        material.supplied_on = on
        if state is S.approved_with_tolerance and all(m.supplied_on is not None for m in case.materials):
            target = S.closed
    elif action is A.resume_suspended:
        late = [m.name for m in owed if m.due_on < on]
        if late:
            raise conflict(
                f"Still overdue: {', '.join(late)}; supplement them before resuming, or revoke.",
                slug="illegal-transition",
            )
        if not owed:
            target = S.closed
    return target

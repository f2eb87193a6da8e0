"""Inspection rules: recording inspections and findings, the rectification loop (整改), stop-work orders, the
delivery gate, lateness on the working-day calendar and the daily announcement of overdue findings.

Every function takes what it needs (the session, the outbox, the caller) and never FastAPI's request, so the
daily job calls the same code an endpoint does. Nothing commits here: the caller's unit of work does.
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
from services.common.problems import ProblemError, not_found, unprocessable
from services.registry import audit
from services.registry.approvals.schemas import OverdueKind, OverdueRead
from services.registry.calendar import service as calendar_service
from services.registry.calendar.counting import FIRST_DAY, WorkingCalendar
from services.registry.inspections import repository
from services.registry.inspections.schemas import (
    PARTY_NAMES,
    Category,
    FindingClosed,
    FindingCreate,
    FindingEvent,
    FindingOverdue,
    FindingRead,
    FindingTransition,
    InspectionCreate,
    InspectionKind,
    InspectionRead,
    Measure,
    ProjectStopWorkChanged,
    ResponsibleParty,
    Severity,
)
from services.registry.inspections.status import (
    FROM,
    RUNNING,
    FindingAction,
    FindingState,
    RecheckResult,
    Refusal,
    refusal,
    target,
)
from services.registry.models import Finding, Inspection, Project
from services.registry.projects import service as projects
from services.registry.scope import can_see_district

A = FindingAction
S = FindingState

TITLE_LIMIT = 80


@dataclass(frozen=True, slots=True)
class FindingClock:
    """The deadline in force as of a day: its due date, whether the finding is late and by how many working days."""

    due_on: date
    overdue: bool
    working_days_overdue: int
    estimated: bool


def derive(calendar: WorkingCalendar, finding: Finding, today: date) -> FindingClock:
    """The finding's due date (``deadline_working_days`` after ``deadline_from``) and lateness on ``today``: only
    an open or reopened finding is late, and only after its due date."""
    due = calendar.add(finding.deadline_from, finding.deadline_working_days)
    estimated = due.estimated
    late = 0
    overdue = S(finding.state) in RUNNING and today > due.value
    if overdue:
        counted = calendar.count(due.value, today)
        late, estimated = counted.value, estimated or counted.estimated
    return FindingClock(due.value, overdue, late, estimated)


class Reader(calendar_service.DayReader):
    """Reads findings for one request or job: the calendar is loaded once and every finding counted on it."""

    def clock_of(self, finding: Finding) -> FindingClock:
        return derive(self.calendar, finding, self.today)

    def finding(self, f: Finding) -> FindingRead:
        own = self.clock_of(f)
        return FindingRead(
            id=f.id,
            inspection_id=f.inspection_id,
            project_id=f.project_id,
            district=f.district,
            inspection_kind=InspectionKind(f.inspection_kind),
            category=Category(f.category),
            severity=Severity(f.severity),
            description=f.description,
            location=f.location,
            responsible_party=ResponsibleParty(f.responsible_party),
            measure=Measure(f.measure),
            state=S(f.state),
            notice_issued_on=f.notice_issued_on,
            deadline_working_days=f.deadline_working_days,
            deadline_from=f.deadline_from,
            due_on=own.due_on,
            overdue=own.overdue,
            working_days_overdue=own.working_days_overdue,
            estimated=own.estimated,
            replied_on=f.replied_on,
            measures_taken=f.measures_taken,
            replied_by=f.replied_by,
            rechecks=f.rechecks,
            rechecks_failed=f.rechecks_failed,
            closed_on=f.closed_on,
            escalated=f.escalated_on is not None,
            escalated_on=f.escalated_on,
            escalation_note=f.escalation_note,
            created_by=f.created_by,
            created_at=f.created_at,
            updated_at=f.updated_at,
        )

    async def inspections(self, session: AsyncSession, rows: Sequence[Inspection]) -> list[InspectionRead]:
        findings = await repository.findings_of(session, [i.id for i in rows])
        return [
            InspectionRead(
                id=i.id,
                project_id=i.project_id,
                district=i.district,
                kind=InspectionKind(i.kind),
                inspected_on=i.inspected_on,
                inspectors=list(i.inspectors),
                note=i.note,
                findings=[self.finding(f) for f in findings.get(i.id, [])],
                created_by=i.created_by,
                created_at=i.created_at,
            )
            for i in rows
        ]


async def load_inspection(session: AsyncSession, principal: Principal, inspection_id: str) -> Inspection:
    """The inspection, or ProblemError(404) when it does not exist or belongs to another district."""
    inspection = await repository.get(session, inspection_id)
    if inspection is None or not can_see_district(principal, inspection.district):
        raise not_found("inspection")
    return inspection


async def load_finding(
    session: AsyncSession, principal: Principal, finding_id: str, *, for_update: bool = False
) -> Finding:
    """The finding, or ProblemError(404) when it does not exist or belongs to another district."""
    finding = await repository.get_finding(session, finding_id, for_update=for_update)
    if finding is None or not can_see_district(principal, finding.district):
        raise not_found("finding")
    return finding


def _check_day(day: date, today: date, pointer: str) -> None:
    if day > today:
        raise unprocessable("A day may not be in the future.", pointer, slug="future-period")
    if day < FIRST_DAY:
        raise unprocessable(f"A day may not be before {FIRST_DAY.isoformat()}.", pointer)


async def create_inspection(
    session: AsyncSession, principal: Principal, project: Project, data: InspectionCreate
) -> Inspection:
    """Record an inspection of ``project``; audited. Raises ProblemError 422 for a day in the future."""
    _check_day(data.inspected_on, clock.today(), "#/body/inspected_on")
    inspection = Inspection(
        project_id=project.id,
        district=project.district,
        kind=data.kind.value,
        inspected_on=data.inspected_on,
        inspectors=list(data.inspectors),
        note=data.note,
        created_by=principal.sub,
        created_at=clock.now(),
    )
    session.add(inspection)
    await session.flush()
    await audit.record(
        session,
        principal,
        entity="inspection",
        entity_id=inspection.id,
        project_id=project.id,
        action="create",
        after=data.model_dump(mode="json"),
    )
    return inspection


def snapshot(finding: Finding) -> dict[str, Any]:
    """A JSON-ready picture of a finding's loop for the audit log."""
    return {
        "state": finding.state,
        "deadline_working_days": finding.deadline_working_days,
        "deadline_from": finding.deadline_from.isoformat(),
        "replied_on": finding.replied_on.isoformat() if finding.replied_on else None,
        "measures_taken": finding.measures_taken,
        "replied_by": finding.replied_by,
        "rechecks": finding.rechecks,
        "rechecks_failed": finding.rechecks_failed,
        "closed_on": finding.closed_on.isoformat() if finding.closed_on else None,
        "escalated_on": finding.escalated_on.isoformat() if finding.escalated_on else None,
        "escalation_note": finding.escalation_note,
    }


async def create_finding(
    session: AsyncSession, outbox: Outbox, principal: Principal, inspection: Inspection, data: FindingCreate
) -> Finding:
    """Record a finding of ``inspection``: the notice is issued, its deadline runs; audited. A stop-work finding
    puts the project under a stop-work order. Raises ProblemError 422 for a notice before the inspection or in
    the future."""
    notice = data.notice_issued_on or inspection.inspected_on
    _check_day(notice, clock.today(), "#/body/notice_issued_on")
    if notice < inspection.inspected_on:
        raise unprocessable("The notice cannot be issued before the inspection.", "#/body/notice_issued_on")
    project = await projects.load_visible(session, principal, inspection.project_id, for_update=True)
    now = clock.now()
    finding = Finding(
        inspection_id=inspection.id,
        project_id=project.id,
        district=project.district,
        inspection_kind=inspection.kind,
        category=data.category.value,
        severity=data.severity.value,
        description=data.description,
        location=data.location,
        responsible_party=data.responsible_party.value,
        measure=data.measure.value,
        state=S.open.value,
        notice_issued_on=notice,
        deadline_working_days=data.deadline_working_days,
        deadline_from=notice,
        last_moved_on=notice,
        rechecks=0,
        rechecks_failed=0,
        created_by=principal.sub,
        created_at=now,
        updated_at=now,
    )
    session.add(finding)
    await session.flush()
    await audit.record(
        session,
        principal,
        entity="finding",
        entity_id=finding.id,
        project_id=project.id,
        action="create",
        after={**data.model_dump(mode="json"), "notice_issued_on": notice.isoformat(), **snapshot(finding)},
    )
    if finding.measure == Measure.stop_work.value:
        await _sync_stop_work(session, outbox, principal, project, finding, notice)
    return finding


async def _sync_stop_work(
    session: AsyncSession, outbox: Outbox, principal: Principal, project: Project, finding: Finding, on: date
) -> None:
    """Set the project's stop-work order from its stop-work findings not closed; when it flips, record the change
    (audited, ``project.facts_changed``) and emit ``project.stop_work_changed``."""
    held = bool(await repository.open_stop_work(session, project.id))
    if held == project.stop_work_order:
        return
    before = projects.snapshot(project)
    project.stop_work_order = held
    await projects.record_change(
        session, outbox, principal, project, before, action="stop_work", cause=f"finding.{finding.state}"
    )
    payload = ProjectStopWorkChanged(district=project.district, stop_work_order=held, finding_id=finding.id, on=on)
    await outbox.emit(
        session, EventType.project_stop_work_changed, payload.model_dump(mode="json"), project_id=project.id
    )


def _illegal(action: FindingAction, state: FindingState, why: Refusal) -> ProblemError:
    if why is Refusal.escalated:
        detail = "The finding was escalated (督办) already; it is escalated once."
    elif why is Refusal.not_overdue:
        detail = "Only a finding past its deadline may be escalated (督办)."
    else:
        allowed_from = ", ".join(sorted(s.value for s in FROM[action]))
        detail = (
            f"A finding that is {state.value} cannot be moved by {action.value}; it is allowed from: {allowed_from}."
        )
    return ProblemError(409, detail, slug="illegal-transition", title="Illegal transition")


def event_payload(reader: Reader, finding: Finding, model: type[FindingEvent], **extra: Any) -> dict[str, Any]:
    own = reader.clock_of(finding)
    event = model(
        finding_id=finding.id,
        inspection_id=finding.inspection_id,
        district=finding.district,
        category=Category(finding.category),
        severity=Severity(finding.severity),
        responsible_party=ResponsibleParty(finding.responsible_party),
        measure=Measure(finding.measure),
        state=S(finding.state),
        deadline_working_days=finding.deadline_working_days,
        due_on=own.due_on,
        estimated=own.estimated,
        **extra,
    )
    return event.model_dump(mode="json")


def _required(value: Any, action: FindingAction, field: str) -> Any:
    if value is None:
        raise unprocessable(f"{action.value} needs {field}.", f"#/body/{field}")
    return value


async def transition(
    session: AsyncSession, outbox: Outbox, principal: Principal, finding: Finding, data: FindingTransition
) -> Finding:
    """Move ``finding`` (loaded for update) by ``data.action``; audited. A passed recheck closes it (销号) and
    emits ``finding.closed``, and lifts the project's stop-work order when it held the last one.

    Raises ProblemError 409 (not allowed from its state; an escalation of a finding not overdue or escalated
    already) and 422 (a day in the future or before the last move, a field the action needs missing).
    """
    today = clock.today()
    on = data.on or today
    reader = await Reader.open(session, today)
    state, action = S(finding.state), data.action
    why = refusal(action, state, overdue=reader.clock_of(finding).overdue, escalated=finding.escalated_on is not None)
    if why is not None:
        raise _illegal(action, state, why)
    _check_day(on, today, "#/body/on")
    if on < finding.last_moved_on:
        raise unprocessable(
            f"The finding last moved on {finding.last_moved_on.isoformat()}; on may not be earlier.", "#/body/on"
        )
    if action is A.escalate and on <= reader.clock_of(finding).due_on:
        raise unprocessable(
            f"The finding was not overdue on {on.isoformat()}: it was due on "
            f"{reader.clock_of(finding).due_on.isoformat()}.",
            "#/body/on",
        )
    before = snapshot(finding)
    if action is A.reply:
        finding.measures_taken = _required(data.measures_taken, action, "measures_taken")
        finding.replied_by = data.replied_by
        finding.replied_on = on
    elif action is A.recheck:
        result: RecheckResult = _required(data.result, action, "result")
        if result is RecheckResult.failed:
            finding.deadline_working_days = _required(data.deadline_working_days, action, "deadline_working_days")
            finding.deadline_from = on
            finding.rechecks_failed += 1
            finding.overdue_notified_at = None  # a new deadline: its lateness is announced afresh
        elif data.deadline_working_days is not None:
            raise unprocessable("A passed recheck takes no new deadline.", "#/body/deadline_working_days")
        finding.rechecks += 1
        finding.first_rechecked_on = finding.first_rechecked_on or on
        if result is RecheckResult.passed:
            finding.closed_on = on
    else:
        finding.escalation_note = _required(data.note, action, "note")
        finding.escalated_on = on
    finding.state = target(action, state, data.result).value
    finding.last_moved_on = on
    finding.updated_at = clock.now()
    await session.flush()
    after = snapshot(finding)
    if data.note is not None:
        after["note"] = data.note
    if data.result is not None:
        after["result"] = data.result.value
    await audit.record(
        session,
        principal,
        entity="finding",
        entity_id=finding.id,
        project_id=finding.project_id,
        action=action.value,
        before=before,
        after=after,
    )
    if finding.state == S.closed.value:
        own = reader.clock_of(finding)
        payload = event_payload(
            reader,
            finding,
            FindingClosed,
            closed_on=on,
            on_time=on <= own.due_on,
            rechecks_failed=finding.rechecks_failed,
        )
        await outbox.emit(session, EventType.finding_closed, payload, project_id=finding.project_id)
        if finding.measure == Measure.stop_work.value:
            project = await projects.load_visible(session, principal, finding.project_id, for_update=True)
            await _sync_stop_work(session, outbox, principal, project, finding, on)
    return finding


async def check_working_report(session: AsyncSession, project: Project, week_end: date) -> None:
    """Raises ProblemError(409) ``stop-work-order`` when a weekly report says ``working: true`` for a week ending
    on or after the notice of a stop-work finding of ``project`` still not closed."""
    if not project.stop_work_order:
        return
    held = [f for f in await repository.open_stop_work(session, project.id) if f.notice_issued_on <= week_end]
    if held:
        first = held[0]
        raise ProblemError(
            409,
            f"The project is under a stop-work order (停工整改) since {first.notice_issued_on.isoformat()}: finding "
            f"{first.id} ({first.description}) is not closed, so the site may not report working. Report "
            "`working: false`, or close the finding after a passed recheck first.",
            slug="stop-work-order",
            title="Stop-work order in force",
        )


async def check_delivery(session: AsyncSession, project: Project) -> None:
    """Raises ProblemError(409) ``acceptance-findings-open`` naming the unit-acceptance (分户验收) findings of
    ``project`` not closed: a project with any is not delivered."""
    open_findings = await repository.open_of_kind(session, project.id, InspectionKind.unit_acceptance.value)
    if open_findings:
        names = ", ".join(f"{f.id} ({f.state}: {f.description})" for f in open_findings)
        raise ProblemError(
            409,
            f"{len(open_findings)} unit-acceptance (分户验收) finding(s) are not closed: {names}. Close them after "
            "a passed recheck before the project is delivered.",
            slug="acceptance-findings-open",
            title="Unit-acceptance findings open",
        )


async def daily(session: AsyncSession, outbox: Outbox, today: date) -> list[str]:
    """Announce ``finding.overdue`` once for each open or reopened finding newly past its deadline on ``today``
    (once per deadline: a failed recheck's new deadline is announced afresh). Returns the findings announced."""
    reader = await Reader.open(session, today)
    now = clock.now()
    announced: list[str] = []
    for finding in await repository.in_states(session, [s.value for s in RUNNING], for_update=True):
        if finding.overdue_notified_at is not None:
            continue
        own = reader.clock_of(finding)
        if not own.overdue:
            continue
        payload = event_payload(reader, finding, FindingOverdue, working_days_overdue=own.working_days_overdue)
        await outbox.emit(session, EventType.finding_overdue, payload, project_id=finding.project_id)
        finding.overdue_notified_at = now
        announced.append(finding.id)
    await session.flush()
    return announced


def owner(party: str) -> str:
    """The board's owner of a finding: the responsible party in Chinese, its code in brackets."""
    return f"{PARTY_NAMES[ResponsibleParty(party)]} ({party})"


def title(finding: Finding) -> str:
    text = finding.description
    return text if len(text) <= TITLE_LIMIT else text[: TITLE_LIMIT - 1] + "…"


async def overdue(session: AsyncSession, day: calendar_service.DayReader, district: str | None) -> list[OverdueRead]:
    """The overdue board's rows for late findings of ``district`` (or the city) on ``day``."""
    reader = Reader(day.calendar, day.today)
    found: list[OverdueRead] = []
    for finding in await repository.board_rows(session, [s.value for s in RUNNING], district):
        own = reader.clock_of(finding)
        if not own.overdue:
            continue
        found.append(
            OverdueRead.of(
                OverdueKind.finding,
                finding,
                title=title(finding),
                owner=owner(finding.responsible_party),
                due_on=own.due_on,
                working_days_overdue=own.working_days_overdue,
                estimated=own.estimated,
                today=reader.today,
                escalated=finding.escalated_on is not None,
            )
        )
    return found

"""Weekly dispatch: recording a report and moving the project's progress, status and stalls with it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.auth import Principal
from services.common.days import parse_week, week_start
from services.common.db import new_id
from services.common.outbox import Outbox
from services.common.problems import conflict
from services.registry import audit
from services.registry.inspections import service as inspections
from services.registry.models import ProgressReport, Project, Stall
from services.registry.progress import repository
from services.registry.progress.schemas import ProgressReportCreate
from services.registry.projects.service import (
    open_stalls,
    record_change,
    record_changes,
    snapshot,
    sync_stall_known,
    transition,
)
from services.registry.projects.status import REPORTABLE, ProjectStatus

# Progress is kept to one decimal place; quantizing makes 40 and 40.0 the same value in the audit's comparison.
TENTH = Decimal("0.1")


async def create(
    session: AsyncSession, outbox: Outbox, principal: Principal, project: Project, data: ProgressReportCreate
) -> ProgressReport:
    """Record a report on ``project`` (loaded for update).

    The report of the project's latest week carries its progress and status: ``working=false`` stalls the
    project from that week's Monday, ``working=true`` ends an open stall on that Monday (never before the stall
    began) and starts work on a registered project. A report for an earlier week than one already recorded is
    kept for the record and changes nothing else.

    Raises ProblemError 422 (a week not begun), 409 (the project is past building, the week is reported
    already, or a registered project reported not working: the status machine has no such move).
    """
    monday = await check(session, project, data)
    later_or_same = await repository.weeks_from(session, project.id, data.week)
    if data.week in later_or_same:
        raise conflict(f"{data.week} is reported already for this project.", slug="duplicate-report")
    latest = not later_or_same
    before = snapshot(project)
    if latest:
        _apply(session, project, data, monday, await open_stalls(session, [project.id]))
    report = ProgressReport(**_values(project, data, monday, principal, clock.now()))
    session.add(report)
    await session.flush()
    await repository.record_months(session, [(month_of(monday), project.id)])
    await audit.record(
        session,
        principal,
        entity="progress_report",
        entity_id=report.id,
        project_id=project.id,
        action="create",
        after=data.model_dump(mode="json"),
    )
    if not latest:
        return report
    # Announced even when nothing on the project changed: a new week is a moment for risk to score again.
    await record_change(
        session,
        outbox,
        principal,
        project,
        before,
        action="progress_report",
        cause="progress_report.created",
        announce_unchanged=True,
    )
    return report


async def check(session: AsyncSession, project: Project, data: ProgressReportCreate) -> date:
    """The rules of a report before it meets the weeks recorded: the week has begun (422 ``future-period``), the
    project is still being built (409 ``project-not-reportable``) and a site under a stop-work order does not
    report working (409 ``stop-work-order``). Returns the week's Monday."""
    monday, sunday = parse_week(data.week, "#/body/week")
    if ProjectStatus(project.status) not in REPORTABLE:
        raise conflict(f"A {project.status} project takes no more weekly reports.", slug="project-not-reportable")
    if data.working:
        await inspections.check_working_report(session, project, sunday)
    return monday


@dataclass(slots=True)
class Weeks:
    """The new weeks of one project for ``create_many``: the project (loaded for update), its reports (each
    checked with ``check``, none recorded already) and its latest recorded week."""

    project: Project
    items: Sequence[ProgressReportCreate]
    latest_recorded: str | None


async def create_many(session: AsyncSession, outbox: Outbox, principal: Principal, batches: Sequence[Weeks]) -> int:
    """Record several weeks of many projects at once, as a spreadsheet import does: each report by the rules of
    ``create``, each project's earliest week first, so its latest week carries the project's progress and status
    and every stall opens and ends on its Monday. One audit row per report; each project's change is recorded and
    announced once, when a week later than its latest recorded one moved it (``record_changes``). Set-based: one
    query for the open stalls, then the reports, their audit rows, the projects' audit rows and their events each
    in one statement (COPY on PostgreSQL) for all the projects. Returns how many reports were written."""
    stalls = await open_stalls(session, [batch.project.id for batch in batches])
    rows: list[dict[str, object]] = []
    entries: list[audit.Entry] = []
    moved: list[tuple[Project, dict[str, Any]]] = []
    months: set[tuple[str, str]] = set()
    now = clock.now()
    for batch in batches:
        project, latest_recorded = batch.project, batch.latest_recorded
        before = snapshot(project)
        changed = False
        for data in sorted(batch.items, key=lambda item: item.week):
            monday = week_start(data.week)
            if latest_recorded is None or data.week > latest_recorded:
                _apply(session, project, data, monday, stalls)
                latest_recorded, changed = data.week, True
            report_id = new_id()
            rows.append({"id": report_id, **_values(project, data, monday, principal, now)})
            months.add((month_of(monday), project.id))
            entries.append(
                audit.Entry("progress_report", report_id, "create", project.id, after=data.model_dump(mode="json"))
            )
        if changed:
            moved.append((project, before))
    await repository.insert_many(session, rows)
    await repository.record_months(session, months)
    await audit.record_many(session, principal, entries)
    # Announced even when nothing on the project changed: a new week is a moment for risk to score again.
    await record_changes(
        session,
        outbox,
        principal,
        moved,
        action="progress_report",
        cause="progress_report.created",
        announce_unchanged=True,
    )
    return len(rows)


def month_of(monday: date) -> str:
    """The month (``YYYY-MM``) a week's report counts in: the month its Monday lies in, as the monthly report
    counts its weeks (``days.weeks_starting_in``)."""
    return monday.strftime("%Y-%m")


def _values(
    project: Project, data: ProgressReportCreate, monday: date, principal: Principal, now: datetime
) -> dict[str, Any]:
    """A report's row, as one report (``create``) and an import (``create_many``) write it."""
    return {
        "project_id": project.id,
        "week": data.week,
        "week_start": monday,
        "progress_pct": data.progress_pct.quantize(TENTH),
        "working": data.working,
        "workers_on_site": data.workers_on_site,
        "issues": data.issues,
        "actions": data.actions,
        "reported_by": principal.sub,
        "created_at": now,
    }


def _apply(
    session: AsyncSession, project: Project, data: ProgressReportCreate, monday: date, stalls: dict[str, Stall]
) -> None:
    """A week's report moves the project's progress and status, opening or ending its stall; ``stalls`` holds
    the open stalls of the projects being reported (``open_stalls``) and is kept up to date."""
    project.progress_pct = data.progress_pct.quantize(TENTH)
    status = ProjectStatus(project.status)
    if not data.working and status is not ProjectStatus.stalled:
        transition(project, ProjectStatus.stalled, monday)
        sync_stall_known(session, project, monday, stalls)
    elif data.working and status is not ProjectStatus.under_construction:
        resumed_on = max(monday, project.stall_started_on or monday)
        transition(project, ProjectStatus.under_construction, resumed_on)
        sync_stall_known(session, project, resumed_on, stalls)

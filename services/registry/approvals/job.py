"""The daily approvals job, run at the city's midnight: what became late yesterday is announced today.

- an open case past its due date emits ``approval.overdue``, once per case;
- a material owed under 容缺 past its due date emits ``approval.supplement_overdue``, once per material, and
  suspends a case approved with tolerance (audited, by the job's own principal);
- an inspection finding open or reopened past its deadline emits ``finding.overdue``, once per finding and
  deadline (``inspections.service.daily``);
- a coordination item not yet resolved past its due date emits ``coordination_item.overdue``, once per item and
  deadline (``coordination.service.daily``).

``run`` is the whole job for one day and takes its day as an argument, so tests call it with any clock;
``DailyJob`` runs it once at start-up (to catch up on a midnight missed while the service was down), then
sleeps until each next midnight and calls it in a unit of work of its own. City admins may also run it for
today with ``POST /v1/approvals/daily-check``, after an outage or a correction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.auth import Principal, Role
from services.common.db import Database
from services.common.events import EventType
from services.common.outbox import Outbox
from services.registry import audit
from services.registry.approvals import repository
from services.registry.approvals.schemas import ApprovalOverdue, ApprovalSupplementOverdue
from services.registry.approvals.service import Reader, Rules, event_payload, snapshot
from services.registry.approvals.status import RUNNING, ApprovalState
from services.registry.coordination import service as coordination
from services.registry.inspections import service as inspections
from services.registry.settings import RegistrySettings

log = logging.getLogger("handover.registry.approvals")

JOB = Principal(sub="registry:daily-job", role=Role.service)
S = ApprovalState


@dataclass(frozen=True, slots=True)
class DailyResult:
    overdue: list[str]
    supplements_overdue: list[tuple[str, str]]
    suspended: list[str]
    findings_overdue: list[str] = field(default_factory=list)
    coordination_overdue: list[str] = field(default_factory=list)


async def run(session: AsyncSession, outbox: Outbox, rules: Rules, today: date, actor: Principal = JOB) -> DailyResult:
    """Announce and act on what is late on ``today``; running it twice on a day changes nothing the second time.

    Suspensions are audited as ``actor``: the job's own principal, or the city admin who ran it by hand.
    """
    reader = await Reader.open(session, rules, today)
    now = clock.now()
    overdue: list[str] = []
    supplements: list[tuple[str, str]] = []
    suspended: list[str] = []
    running = await repository.in_states(session, [s.value for s in RUNNING], for_update=True)
    for case in await reader.cases([a for a in running if a.overdue_notified_at is None]):
        own = reader.clock_of(case)
        if today <= own.due_on:
            continue
        payload = event_payload(reader, case, ApprovalOverdue, working_days_overdue=own.working_days_overdue)
        await outbox.emit(session, EventType.approval_overdue, payload, project_id=case.approval.project_id)
        case.approval.overdue_notified_at = now
        overdue.append(case.approval.id)
    owing = await repository.in_states(session, [S.approved_with_tolerance.value, S.suspended.value], for_update=True)
    for case in await reader.cases(owing):
        late = [m for m in case.materials if m.supplied_on is None and m.due_on < today]
        if not late:
            continue
        if S(case.approval.state) is S.approved_with_tolerance:
            before = snapshot(case)
            case.approval.state = S.suspended.value
            case.approval.last_moved_on = max(today, case.approval.last_moved_on)
            case.approval.updated_at = now
            await audit.record(
                session,
                actor,
                entity="approval",
                entity_id=case.approval.id,
                project_id=case.approval.project_id,
                action="suspend",
                before=before,
                after={**snapshot(case), "overdue_materials": [m.name for m in late]},
            )
            suspended.append(case.approval.id)
        for material in late:
            if material.overdue_notified_at is not None:
                continue
            payload = event_payload(
                reader, case, ApprovalSupplementOverdue, material=material.name, material_due_on=material.due_on
            )
            await outbox.emit(
                session, EventType.approval_supplement_overdue, payload, project_id=case.approval.project_id
            )
            material.overdue_notified_at = now
            supplements.append((case.approval.id, material.name))
    await session.flush()
    findings = await inspections.daily(session, outbox, today)
    coordination_overdue = await coordination.daily(session, outbox, today)
    return DailyResult(overdue, supplements, suspended, findings, coordination_overdue)


async def run_in(database: Database, outbox: Outbox, rules: Rules, today: date) -> DailyResult:
    """``run`` in a unit of work of its own, committed (and the dispatcher woken) when it succeeds."""
    async with database.sessionmaker() as session:
        result = await run(session, outbox, rules, today)
        await session.commit()
    for hook in database.after_commit_hooks:
        hook()
    return result


def seconds_to_next_midnight(now: datetime) -> float:
    """Seconds from ``now`` to the next midnight of the city (``clock.city_zone()``)."""
    local = now.astimezone(clock.city_zone())
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), clock.city_zone())
    return (midnight - local).total_seconds()


class DailyJob:
    """Sleeps until each city midnight and runs the job for the day that begins; started in the lifespan."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.task: asyncio.Task[None] | None = None

    async def loop(self) -> None:
        settings: RegistrySettings = self.app.state.settings
        rules = Rules.of(settings)
        # The first round catches up on a midnight missed while the service was down; `run` is idempotent.
        first = True
        while True:
            if not first:
                await asyncio.sleep(seconds_to_next_midnight(clock.now()) + 1)
            first = False
            try:
                result = await run_in(self.app.state.database, self.app.state.outbox, rules, clock.today())
                log.info(
                    "daily job: %d approvals overdue, %d materials overdue, %d suspended, %d findings overdue, "
                    "%d coordination items overdue",
                    len(result.overdue),
                    len(result.supplements_overdue),
                    len(result.suspended),
                    len(result.findings_overdue),
                    len(result.coordination_overdue),
                )
            except Exception:  # the job must outlive one bad night; the next midnight tries again
                log.exception("approvals daily job failed")


async def start(app: FastAPI) -> None:
    if app.state.settings.run_daily_jobs:
        job = DailyJob(app)
        job.task = asyncio.create_task(job.loop(), name="registry-approvals-daily")
        app.state.approvals_daily_job = job


async def stop(app: FastAPI) -> None:
    job: DailyJob | None = getattr(app.state, "approvals_daily_job", None)
    if job is not None and job.task is not None:
        job.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await job.task

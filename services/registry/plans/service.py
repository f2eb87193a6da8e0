"""Plans: each PUT adds a version and makes it the project's current plan."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.auth import Principal
from services.common.outbox import Outbox
from services.common.pagination import PageParams
from services.common.problems import not_found, unprocessable
from services.registry import audit
from services.registry.models import Milestone, Plan, Project
from services.registry.plans import repository
from services.registry.plans.schemas import DisposalPath, MilestoneRead, PlanCreate, PlanRead
from services.registry.projects.service import emit_facts_changed

TENTH = Decimal("0.1")


def _check_milestones(data: PlanCreate) -> None:
    """Raises ProblemError(422) at the first milestone out of date order, with less progress, or done in future."""
    today = clock.today()
    for index, milestone in enumerate(data.milestones):
        pointer = f"#/body/milestones/{index}"
        if milestone.actual_date is not None and milestone.actual_date > today:
            raise unprocessable("actual_date may not be in the future.", f"{pointer}/actual_date")
        if index == 0:
            continue
        previous = data.milestones[index - 1]
        if milestone.planned_date < previous.planned_date:
            raise unprocessable("Milestones must be given in order of planned_date.", f"{pointer}/planned_date")
        if milestone.planned_progress_pct < previous.planned_progress_pct:
            raise unprocessable(
                "planned_progress_pct may not fall from one milestone to the next.",
                f"{pointer}/planned_progress_pct",
            )


def _content(data: PlanCreate) -> dict[str, Any]:
    """The plan as JSON-ready data, for the audit log and to recognise a PUT that changes nothing."""
    content = data.model_dump(mode="json")
    for milestone, given in zip(content["milestones"], data.milestones, strict=True):
        milestone["planned_progress_pct"] = str(given.planned_progress_pct.quantize(TENTH))
    return content


def _read(plan: Plan, milestones: list[Milestone], project: Project) -> PlanRead:
    return PlanRead(
        id=plan.id,
        project_id=plan.project_id,
        version=plan.version,
        current=plan.id == project.current_plan_id,
        disposal_path=DisposalPath(plan.disposal_path),
        measures=plan.measures,
        responsible_party=plan.responsible_party,
        milestones=[MilestoneRead.model_validate(m) for m in milestones],
        created_by=plan.created_by,
        created_at=plan.created_at,
    )


def _as_create(plan: Plan, milestones: list[Milestone]) -> PlanCreate:
    return PlanCreate.model_validate(
        {
            "disposal_path": plan.disposal_path,
            "measures": plan.measures,
            "responsible_party": plan.responsible_party,
            "milestones": [
                {
                    "name": m.name,
                    "planned_date": m.planned_date,
                    "planned_progress_pct": m.planned_progress_pct,
                    "actual_date": m.actual_date,
                }
                for m in milestones
            ],
        }
    )


async def put(
    session: AsyncSession, outbox: Outbox, principal: Principal, project: Project, data: PlanCreate
) -> PlanRead:
    """Make ``data`` the current plan of ``project`` (loaded for update) and return it.

    A PUT equal to the current version adds none, so repeating a PUT is harmless.
    Raises ProblemError(422) for milestones out of order, with falling progress, or reached in the future.
    """
    _check_milestones(data)
    if project.current_plan_id is not None:
        current = await session.get(Plan, project.current_plan_id)
        if current is not None:
            milestones = (await repository.milestones_of(session, [current.id]))[current.id]
            if _content(_as_create(current, milestones)) == _content(data):
                return _read(current, milestones, project)
    plan = Plan(
        project_id=project.id,
        version=await repository.latest_version(session, project.id) + 1,
        disposal_path=data.disposal_path.value,
        measures=data.measures,
        responsible_party=data.responsible_party,
        created_by=principal.sub,
        created_at=clock.now(),
    )
    session.add(plan)
    await session.flush()
    milestones = [
        Milestone(
            plan_id=plan.id,
            position=index,
            name=m.name,
            planned_date=m.planned_date,
            planned_progress_pct=m.planned_progress_pct.quantize(TENTH),
            actual_date=m.actual_date,
        )
        for index, m in enumerate(data.milestones)
    ]
    session.add_all(milestones)
    project.current_plan_id = plan.id
    await audit.record(
        session,
        principal,
        entity="plan",
        entity_id=plan.id,
        project_id=project.id,
        action="create",
        after={"version": plan.version, **_content(data)},
    )
    await emit_facts_changed(session, outbox, project, cause="plan.updated", fields=["plan"])
    return _read(plan, milestones, project)


async def current(session: AsyncSession, project: Project) -> PlanRead:
    """The plan in force. Raises ProblemError(404) when the project has none yet."""
    plan = await session.get(Plan, project.current_plan_id) if project.current_plan_id else None
    if plan is None:
        raise not_found("plan")
    return _read(plan, (await repository.milestones_of(session, [plan.id]))[plan.id], project)


async def version(session: AsyncSession, project: Project, number: int) -> PlanRead:
    """One version. Raises ProblemError(404) when the project has no such version."""
    plan = await repository.by_version(session, project.id, number)
    if plan is None:
        raise not_found("plan version")
    return _read(plan, (await repository.milestones_of(session, [plan.id]))[plan.id], project)


async def versions(session: AsyncSession, paging: PageParams, project: Project) -> list[PlanRead]:
    """A page of versions (and one more when a next page exists), newest first."""
    plans = await repository.page(session, paging, project.id)
    milestones = await repository.milestones_of(session, [p.id for p in plans])
    return [_read(p, milestones[p.id], project) for p in plans]

"""``/v1/projects/{id}/plan``: one plan per project (一项目一方案), versioned."""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.common.deps import Events, Paging, Session
from services.common.pagination import Page, page
from services.common.paths import ProjectId, Version
from services.common.problems import problem_responses
from services.registry.plans import service
from services.registry.plans.schemas import PlanCreate, PlanRead
from services.registry.projects import service as projects
from services.registry.scope import Reader, Writer

router = APIRouter(prefix="/v1/projects/{project_id}/plan", tags=["plans"])


@router.put(
    "",
    operation_id="replacePlan",
    description=(
        "One plan per project (一项目一方案): the disposal path, measures, responsible party and milestones in "
        "date order with planned progress that never falls. Every different PUT adds a version; "
        "`Content-Location` names it."
    ),
    response_model=PlanRead,
    summary="Set the project's plan: adds a version and makes it current (a PUT equal to the current one adds none)",
    responses=problem_responses(401, 403, 404, 422),
)
async def put_plan(
    project_id: ProjectId, data: PlanCreate, outbox: Events, response: Response, principal: Writer, session: Session
) -> PlanRead:
    project = await projects.load_visible(session, principal, project_id, for_update=True)
    plan = await service.put(session, outbox, principal, project, data)
    response.headers["Content-Location"] = f"/v1/projects/{project_id}/plan/versions/{plan.version}"
    return plan


@router.get(
    "",
    operation_id="getPlan",
    description="404 until a plan is set.",
    response_model=PlanRead,
    summary="The project's current plan",
    responses=problem_responses(401, 403, 404),
)
async def get_plan(project_id: ProjectId, principal: Reader, session: Session) -> PlanRead:
    project = await projects.load_visible(session, principal, project_id)
    return await service.current(session, project)


@router.get(
    "/versions",
    operation_id="listPlanVersions",
    description="Versions are kept for good: the plan's history.",
    response_model=Page[PlanRead],
    summary="Every version of the project's plan, newest first",
    responses=problem_responses(400, 401, 403, 404),
)
async def list_plan_versions(
    project_id: ProjectId, principal: Reader, session: Session, paging: Paging
) -> Page[PlanRead]:
    project = await projects.load_visible(session, principal, project_id)
    plans = await service.versions(session, paging, project)
    return page(plans, paging, lambda plan: (plan.version,), PlanRead)


@router.get(
    "/versions/{version}",
    operation_id="getPlanVersion",
    description="`version` counts from 1.",
    response_model=PlanRead,
    summary="One version of the project's plan",
    responses=problem_responses(401, 403, 404, 422),
)
async def get_plan_version(
    project_id: ProjectId,
    version: Version,
    principal: Reader,
    session: Session,
) -> PlanRead:
    project = await projects.load_visible(session, principal, project_id)
    return await service.version(session, project, version)

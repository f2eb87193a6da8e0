"""``/v1/projects/{id}/task-force``: each project's task force (工作专班), versioned."""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.common.deps import Events, Paging, Session
from services.common.pagination import Page, page
from services.common.paths import ProjectId, Version
from services.common.problems import problem_responses
from services.registry.projects import service as projects
from services.registry.scope import Reader, Writer
from services.registry.taskforces import service
from services.registry.taskforces.schemas import TaskForceCreate, TaskForceRead

router = APIRouter(prefix="/v1/projects/{project_id}/task-force", tags=["task-forces"])


@router.put(
    "",
    operation_id="replaceTaskForce",
    description=(
        "Each project's task force (工作专班): the leader who answers for it (包保领导, name and title), the lead "
        "unit, members with unit and role, the departments involved. Every different PUT adds a version; "
        "`Content-Location` names it. The project shows the current leader and its list filters by it."
    ),
    response_model=TaskForceRead,
    summary="Set the project's task force: adds a version and makes it current (an equal PUT adds none)",
    responses=problem_responses(401, 403, 404, 422),
)
async def put_task_force(
    project_id: ProjectId,
    data: TaskForceCreate,
    outbox: Events,
    response: Response,
    principal: Writer,
    session: Session,
) -> TaskForceRead:
    project = await projects.load_visible(session, principal, project_id, for_update=True)
    task_force = await service.put(session, outbox, principal, project, data)
    response.headers["Content-Location"] = f"/v1/projects/{project_id}/task-force/versions/{task_force.version}"
    return task_force


@router.get(
    "",
    operation_id="getTaskForce",
    description="404 until a task force is set.",
    response_model=TaskForceRead,
    summary="The project's current task force",
    responses=problem_responses(401, 403, 404),
)
async def get_task_force(project_id: ProjectId, principal: Reader, session: Session) -> TaskForceRead:
    project = await projects.load_visible(session, principal, project_id)
    return await service.current(session, project)


@router.get(
    "/versions",
    operation_id="listTaskForceVersions",
    description="Versions are kept for good: who answered for the project, and when.",
    response_model=Page[TaskForceRead],
    summary="Every version of the project's task force, newest first",
    responses=problem_responses(400, 401, 403, 404),
)
async def list_task_force_versions(
    project_id: ProjectId, principal: Reader, session: Session, paging: Paging
) -> Page[TaskForceRead]:
    project = await projects.load_visible(session, principal, project_id)
    task_forces = await service.versions(session, paging, project)
    return page(task_forces, paging, lambda task_force: (task_force.version,), TaskForceRead)


@router.get(
    "/versions/{version}",
    operation_id="getTaskForceVersion",
    description="`version` counts from 1.",
    response_model=TaskForceRead,
    summary="One version of the project's task force",
    responses=problem_responses(401, 403, 404, 422),
)
async def get_task_force_version(
    project_id: ProjectId,
    version: Version,
    principal: Reader,
    session: Session,
) -> TaskForceRead:
    project = await projects.load_visible(session, principal, project_id)
    return await service.version(session, project, version)

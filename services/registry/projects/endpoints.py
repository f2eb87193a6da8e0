"""``/v1/projects``: the risk ledger's projects."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response

from services.common import clock
from services.common.apidoc import etag_answer
from services.common.deps import Events, Paging, Session
from services.common.pagination import Page
from services.common.paths import ProjectId
from services.common.problems import not_found, problem_responses
from services.registry.projects import reads, service
from services.registry.projects.schemas import ProjectCreate, ProjectRead, ProjectSort, ProjectUpdate, RiskTier
from services.registry.projects.status import ProjectStatus
from services.registry.scope import Reader, Writer

router = APIRouter(prefix="/v1/projects", tags=["projects"])


@router.post(
    "",
    operation_id="createProject",
    description=(
        "City admins, and district officers for their own district. The answer carries the project's "
        "`ETag` and `Location`; `project.facts_changed` is announced."
    ),
    status_code=201,
    response_model=ProjectRead,
    summary="Register a project in the ledger",
    responses={201: etag_answer("The project registered"), **problem_responses(401, 403, 409, 422)},
)
async def create_project(
    data: ProjectCreate, request: Request, outbox: Events, response: Response, principal: Writer, session: Session
) -> ProjectRead:
    project = await service.create(
        session, outbox, principal, data, districts={d.code for d in request.app.state.settings.districts}
    )
    response.headers["Location"] = f"/v1/projects/{project.id}"
    response.headers["ETag"] = service.etag(project)
    return ProjectRead.model_validate(project)


@router.get(
    "",
    operation_id="listProjects",
    description=(
        "A district officer sees its own district only; other readers see every district. Filters "
        "combine; `lagging=true` keeps the projects behind their plan by more than the configured margin."
    ),
    response_model=Page[ProjectRead],
    summary="List projects, filtered and sorted, a page at a time",
    responses=problem_responses(400, 401, 403),
)
async def list_projects(
    request: Request,
    principal: Reader,
    paging: Paging,
    district: Annotated[str | None, Query(max_length=12)] = None,
    status: ProjectStatus | None = None,
    risk_tier: RiskTier | None = None,
    lagging: Annotated[bool | None, Query(description="Only projects behind their plan (or only not).")] = None,
    developer_id: Annotated[str | None, Query(max_length=36)] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100, description="Part of the code or name.")] = None,
    leader: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="The name of the current task force's leader (包保领导), exactly as the task force gives it.",
        ),
    ] = None,
    stop_work_order: Annotated[
        bool | None, Query(description="Only projects under a stop-work order (停工整改), or only the others.")
    ] = None,
    sort: ProjectSort = ProjectSort.code,
) -> Response:
    query = reads.ListQuery(
        paging=paging,
        district=district,
        status=status,
        risk_tier=risk_tier,
        lagging=lagging,
        developer_id=developer_id,
        q=q,
        leader=leader,
        stop_work_order=stop_work_order,
        sort=sort,
    )
    settings = request.app.state.settings
    return await reads.page(
        request.app.state.reader, principal, query, today=clock.today(), margin=settings.lagging_margin_pct
    )


@router.get(
    "/{project_id}",
    operation_id="getProject",
    description=(
        "The answer's `ETag` is what `If-Match` takes on a later `PATCH`. A project outside a district "
        "officer's district answers 404."
    ),
    response_model=ProjectRead,
    summary="Read one project (with its ETag)",
    responses={200: etag_answer("The project"), **problem_responses(401, 403, 404)},
)
async def get_project(project_id: ProjectId, request: Request, principal: Reader) -> Response:
    response = await reads.project(request.app.state.reader, principal, project_id)
    if response is None:
        raise not_found("project")
    return response


@router.patch(
    "/{project_id}",
    operation_id="updateProject",
    description=(
        "Only the fields sent change. Status moves follow the lifecycle (an illegal move answers 409). "
        "With `If-Match`, the change is made only if one of the listed entity tags (or `*`) matches the "
        "project's current one; otherwise 412 and nothing changes."
    ),
    response_model=ProjectRead,
    summary="Change a project (send If-Match with the ETag you read)",
    responses={200: etag_answer("The project as changed"), **problem_responses(401, 403, 404, 409, 412, 422)},
)
async def update_project(
    project_id: ProjectId,
    data: ProjectUpdate,
    outbox: Events,
    response: Response,
    principal: Writer,
    session: Session,
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            max_length=1000,
            description='The `ETag` you read (`"3"`), a list of them (`"3", "4"`), or `*`: the change is made only '
            "if one matches the project's current entity tag; otherwise 412 and nothing changes.",
        ),
    ] = None,
) -> ProjectRead:
    project = await service.load_visible(session, principal, project_id, for_update=True)
    project = await service.update(session, outbox, principal, project, data, if_match)
    response.headers["ETag"] = service.etag(project)
    return ProjectRead.model_validate(project)

"""``/v1/projects``: the risk ledger's projects."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Header, Path, Query, Request, Response

from services.common.deps import Paging, Session
from services.common.pagination import Page, cursor_values, encode_cursor
from services.common.problems import problem_responses
from services.registry.models import Project
from services.registry.projects import repository, service
from services.registry.projects.schemas import ProjectCreate, ProjectRead, ProjectSort, ProjectUpdate, RiskTier
from services.registry.projects.status import ProjectStatus
from services.registry.scope import Reader, Writer, district_scope

router = APIRouter(prefix="/v1/projects", tags=["projects"])

ProjectId = Annotated[str, Path(min_length=36, max_length=36, description="The project's id (a UUID).")]

_CURSOR_PARSERS: dict[str, Any] = {
    "code": str,
    "name": str,
    "updated_at": datetime.fromisoformat,
    "contract_delivery_date": date.fromisoformat,
}


@router.post(
    "",
    status_code=201,
    response_model=ProjectRead,
    summary="Register a project in the ledger",
    responses=problem_responses(401, 403, 409, 422),
)
async def create_project(
    data: ProjectCreate, request: Request, response: Response, principal: Writer, session: Session
) -> ProjectRead:
    project = await service.create(session, request, principal, data)
    response.headers["Location"] = f"/v1/projects/{project.id}"
    response.headers["ETag"] = service.etag(project)
    return ProjectRead.model_validate(project)


@router.get(
    "",
    response_model=Page[ProjectRead],
    summary="List projects, filtered and sorted, a page at a time",
    responses=problem_responses(400, 401, 403),
)
async def list_projects(
    request: Request,
    principal: Reader,
    session: Session,
    paging: Paging,
    district: Annotated[str | None, Query(max_length=12)] = None,
    status: ProjectStatus | None = None,
    risk_tier: RiskTier | None = None,
    lagging: Annotated[bool | None, Query(description="Only projects behind their plan (or only not).")] = None,
    developer_id: Annotated[str | None, Query(max_length=36)] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100, description="Part of the code or name.")] = None,
    sort: ProjectSort = ProjectSort.code,
) -> Page[ProjectRead]:
    filters: list[sa.ColumnElement[bool]] = []
    scope = district_scope(principal)
    if scope is not None:
        filters.append(Project.district == scope)
    if district:
        filters.append(Project.district == district)
    if status:
        filters.append(Project.status == status.value)
    if risk_tier:
        filters.append(Project.risk_tier == risk_tier.value)
    if developer_id:
        filters.append(Project.developer_id == developer_id)
    if q:
        filters.append(sa.or_(Project.code.icontains(q, autoescape=True), Project.name.icontains(q, autoescape=True)))
    if lagging is not None:
        condition = repository.lagging_condition(date.today(), request.app.state.settings.lagging_margin_pct)
        filters.append(condition if lagging else sa.not_(condition))
    column_name = sort.value.lstrip("-")
    after = None
    if paging.cursor:
        after = tuple(cursor_values(paging.cursor, _CURSOR_PARSERS[column_name], str))
    rows = await repository.list_page(session, filters=filters, sort=sort, after=after, limit=paging.limit + 1)
    next_cursor = None
    if len(rows) > paging.limit:
        rows = rows[: paging.limit]
        last = rows[-1]
        value = getattr(last, column_name)
        next_cursor = encode_cursor([value.isoformat() if hasattr(value, "isoformat") else value, last.id])
    return Page[ProjectRead](items=[ProjectRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{project_id}",
    response_model=ProjectRead,
    summary="Read one project (with its ETag)",
    responses=problem_responses(401, 403, 404),
)
async def get_project(project_id: ProjectId, response: Response, principal: Reader, session: Session) -> ProjectRead:
    project = await service.load_visible(session, principal, project_id)
    response.headers["ETag"] = service.etag(project)
    return ProjectRead.model_validate(project)


@router.patch(
    "/{project_id}",
    response_model=ProjectRead,
    summary="Change a project (send If-Match with the ETag you read)",
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
async def update_project(
    project_id: ProjectId,
    data: ProjectUpdate,
    request: Request,
    response: Response,
    principal: Writer,
    session: Session,
    if_match: Annotated[str | None, Header(max_length=64)] = None,
) -> ProjectRead:
    project = await service.load_visible(session, principal, project_id, for_update=True)
    project = await service.update(session, request, principal, project, data, if_match)
    response.headers["ETag"] = service.etag(project)
    return ProjectRead.model_validate(project)

"""``/v1/projects/{id}/disputes`` and ``/v1/disputes/{id}``: petitions, complaints and group incidents."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.common.deps import Events, Paging, Session
from services.common.pagination import Page, page
from services.common.paths import ProjectId
from services.common.problems import problem_responses
from services.registry.disputes import repository, service
from services.registry.disputes.schemas import DisputeCreate, DisputeKind, DisputeRead, DisputeUpdate
from services.registry.projects import service as projects
from services.registry.scope import Reader, Writer

router = APIRouter(tags=["disputes"])

DisputeId = Annotated[str, Path(min_length=36, max_length=36, description="The dispute's id (a UUID).")]


@router.post(
    "/v1/projects/{project_id}/disputes",
    operation_id="createDispute",
    description=(
        "A petition (信访), complaint (投诉) or group incident (群体事件) about the project; dates may not lie in"
        " the future. Announced as `project.facts_changed`."
    ),
    status_code=201,
    response_model=DisputeRead,
    summary="Record a dispute about a project",
    responses=problem_responses(401, 403, 404, 422),
)
async def create_dispute(
    project_id: ProjectId,
    data: DisputeCreate,
    outbox: Events,
    response: Response,
    principal: Writer,
    session: Session,
) -> DisputeRead:
    project = await projects.load_visible(session, principal, project_id)
    dispute = await service.create(session, outbox, principal, project, data)
    response.headers["Location"] = f"/v1/disputes/{dispute.id}"
    return DisputeRead.model_validate(dispute)


@router.get(
    "/v1/projects/{project_id}/disputes",
    operation_id="listDisputes",
    description="Filter by `kind`, or by `resolved`.",
    response_model=Page[DisputeRead],
    summary="A project's disputes, latest opened first",
    responses=problem_responses(400, 401, 403, 404),
)
async def list_disputes(
    project_id: ProjectId,
    principal: Reader,
    session: Session,
    paging: Paging,
    kind: DisputeKind | None = None,
    resolved: Annotated[bool | None, Query(description="Only resolved disputes (or only open ones).")] = None,
) -> Page[DisputeRead]:
    await projects.load_visible(session, principal, project_id)
    rows = await repository.page(
        session, paging, project_id, kind=kind.value if kind is not None else None, resolved=resolved
    )
    return page(rows, paging, lambda row: (row.opened_on, row.id), DisputeRead)


@router.get(
    "/v1/disputes/{dispute_id}",
    operation_id="getDispute",
    description="A dispute of a project outside a district officer's district answers 404.",
    response_model=DisputeRead,
    summary="Read one dispute",
    responses=problem_responses(401, 403, 404),
)
async def get_dispute(dispute_id: DisputeId, principal: Reader, session: Session) -> DisputeRead:
    dispute, _ = await service.load_visible(session, principal, dispute_id)
    return DisputeRead.model_validate(dispute)


@router.patch(
    "/v1/disputes/{dispute_id}",
    operation_id="updateDispute",
    description="A resolution may not come before the opening nor lie in the future.",
    response_model=DisputeRead,
    summary="Change a dispute: resolve it (`resolved_on`), reopen it (`resolved_on: null`), correct kind or summary",
    responses=problem_responses(401, 403, 404, 422),
)
async def update_dispute(
    dispute_id: DisputeId, data: DisputeUpdate, outbox: Events, principal: Writer, session: Session
) -> DisputeRead:
    dispute, project = await service.load_visible(session, principal, dispute_id, for_update=True)
    dispute = await service.update(session, outbox, principal, dispute, project, data)
    return DisputeRead.model_validate(dispute)

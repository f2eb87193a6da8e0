"""``/v1/projects/{id}/coordination-items`` and ``/v1/coordination-items``: site problems another department must
solve (协调事项), on a working-day deadline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.common.deps import Paging, Session
from services.common.pagination import Page, cut
from services.common.paths import ProjectId
from services.common.problems import problem_responses
from services.registry.coordination import repository, service
from services.registry.coordination.schemas import (
    CoordinationItemCreate,
    CoordinationItemRead,
    CoordinationTransition,
)
from services.registry.coordination.status import OPEN, CoordinationState
from services.registry.models import CoordinationItem
from services.registry.projects import service as projects
from services.registry.scope import Reader, Writer, district_scope

router = APIRouter(tags=["coordination"])

ItemId = Annotated[str, Path(min_length=36, max_length=36, description="The coordination item's id (a UUID).")]
DistrictCode = Annotated[str | None, Query(min_length=1, max_length=12, description="A district code.")]


def _position(item: CoordinationItem) -> tuple[object, str]:
    return item.created_at, item.id


async def _page(session: Session, rows: list[CoordinationItem], paging: Paging) -> Page[CoordinationItemRead]:
    items, next_cursor = cut(rows, paging, _position)
    reader = await service.Reader.open(session)
    return Page[CoordinationItemRead](items=reader.read_all(items), next_cursor=next_cursor)


@router.post(
    "/v1/projects/{project_id}/coordination-items",
    operation_id="createCoordinationItem",
    status_code=201,
    response_model=CoordinationItemRead,
    summary="Raise a coordination item (协调事项) for a project",
    description="A problem the project needs another department to solve (power, water, gas, supporting "
    "facilities, permits, funding, or `other` named in `topic_name`), with the department that leads it and a "
    "deadline of `deadline_working_days` official working days counted from `raised_on` (default today). It starts "
    "`raised`. Audited.",
    responses=problem_responses(401, 403, 404, 422),
)
async def create_coordination_item(
    project_id: ProjectId, data: CoordinationItemCreate, response: Response, principal: Writer, session: Session
) -> CoordinationItemRead:
    project = await projects.load_visible(session, principal, project_id)
    item = await service.create(session, principal, project, data)
    response.headers["Location"] = f"/v1/coordination-items/{item.id}"
    return (await service.Reader.open(session)).read(item)


@router.get(
    "/v1/projects/{project_id}/coordination-items",
    operation_id="listProjectCoordinationItems",
    response_model=Page[CoordinationItemRead],
    summary="A project's coordination items, newest first",
    description="Every item of the project, each with its due date and whether it is overdue.",
    responses=problem_responses(400, 401, 403, 404),
)
async def list_project_coordination_items(
    project_id: ProjectId, principal: Reader, session: Session, paging: Paging
) -> Page[CoordinationItemRead]:
    await projects.load_visible(session, principal, project_id)
    return await _page(session, await repository.page(session, paging, project_id=project_id), paging)


@router.get(
    "/v1/coordination-items",
    operation_id="listCoordinationItems",
    response_model=Page[CoordinationItemRead],
    summary="Coordination items across projects, newest first",
    description="Filter by `district`, `department` (the lead department), `state` and `overdue` (open items past "
    "their due date today, or every other item). A district officer sees its own district's items only.",
    responses=problem_responses(400, 401, 403),
)
async def list_coordination_items(
    principal: Reader,
    session: Session,
    paging: Paging,
    district: DistrictCode = None,
    department: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Only the items this department leads.")
    ] = None,
    state: CoordinationState | None = None,
    overdue: Annotated[bool | None, Query(description="Only items overdue today, or only the others.")] = None,
) -> Page[CoordinationItemRead]:
    scope = district_scope(principal)
    if scope is not None and district is not None and district != scope:
        return Page[CoordinationItemRead](items=[], next_cursor=None)
    filters = {"district": scope or district, "department": department}
    if overdue is None:
        states = None if state is None else [state.value]
        return await _page(session, await repository.page(session, paging, states=states, **filters), paging)
    # Lateness is derived, so the candidates are counted here and filtered before paging.
    wanted = [s.value for s in CoordinationState if (state is None or s is state) and (not overdue or s in OPEN)]
    reader = await service.Reader.open(session)
    candidates = await repository.all_after_cursor(session, paging, states=wanted, **filters)
    matching = [item for item in candidates if reader.deadline(item).overdue is overdue][: paging.limit + 1]
    items, next_cursor = cut(matching, paging, _position)
    return Page[CoordinationItemRead](items=reader.read_all(items), next_cursor=next_cursor)


@router.get(
    "/v1/coordination-items/{coordination_item_id}",
    operation_id="getCoordinationItem",
    response_model=CoordinationItemRead,
    summary="Read one coordination item, with its deadline",
    description="An item of another district answers 404 to a district officer.",
    responses=problem_responses(401, 403, 404),
)
async def get_coordination_item(
    coordination_item_id: ItemId, principal: Reader, session: Session
) -> CoordinationItemRead:
    item = await service.load_visible(session, principal, coordination_item_id)
    return (await service.Reader.open(session)).read(item)


@router.post(
    "/v1/coordination-items/{coordination_item_id}/transitions",
    operation_id="transitionCoordinationItem",
    response_model=CoordinationItemRead,
    summary="Move a coordination item: accept, resolve, confirm, reopen, escalate",
    description="`raised → accepted → resolved` (`resolution`) `→ confirmed` by the district; `resolved → "
    "reopened` (`note`; a new deadline of `deadline_working_days`, default the last one, counted from the "
    "reopening), and a reopened item is accepted or resolved again. `escalate` (督办, `note`) marks an item not "
    "yet resolved that is past its due date, once; it changes no state. Any other move answers 409 and changes "
    "nothing. Every move is audited.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def transition_coordination_item(
    coordination_item_id: ItemId, data: CoordinationTransition, principal: Writer, session: Session
) -> CoordinationItemRead:
    item = await service.load_visible(session, principal, coordination_item_id, for_update=True)
    item = await service.transition(session, principal, item, data)
    return (await service.Reader.open(session)).read(item)

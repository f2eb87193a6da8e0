"""``/v1/developers``: the enterprises that build the projects."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.common.deps import Paging, Session
from services.common.pagination import Page, page
from services.common.problems import not_found, problem_responses
from services.registry.developers import repository, service
from services.registry.developers.schemas import DeveloperCreate, DeveloperRead
from services.registry.scope import Reader, Writer

router = APIRouter(prefix="/v1/developers", tags=["developers"])


@router.post(
    "",
    operation_id="createDeveloper",
    description=(
        "City admins and district officers register a developer once, by its unified social credit code "
        "(统一社会信用代码, 18 characters, check digit validated); a second registration of the code answers 409."
    ),
    status_code=201,
    response_model=DeveloperRead,
    summary="Register a developer (enterprise)",
    responses=problem_responses(401, 403, 409, 422),
)
async def create_developer(
    data: DeveloperCreate, response: Response, principal: Writer, session: Session
) -> DeveloperRead:
    developer = await service.create(session, principal, data)
    response.headers["Location"] = f"/v1/developers/{developer.id}"
    return DeveloperRead.model_validate(developer)


@router.get(
    "",
    response_model=Page[DeveloperRead],
    summary="List developers",
    responses=problem_responses(400, 401, 403),
    operation_id="listDevelopers",
    description=(
        "Every role that reads the ledger may list developers, by name; `q` matches part of the name or credit code."
    ),
)
async def list_developers(
    principal: Reader,
    session: Session,
    paging: Paging,
    q: Annotated[str | None, Query(min_length=1, max_length=100, description="Part of the name or code.")] = None,
) -> Page[DeveloperRead]:
    rows = await repository.page(session, paging, q=q)
    return page(rows, paging, lambda row: (row.name, row.id), DeveloperRead)


@router.get(
    "/{developer_id}",
    operation_id="getDeveloper",
    description="Any role that reads the ledger.",
    response_model=DeveloperRead,
    summary="Read one developer",
    responses=problem_responses(401, 403, 404),
)
async def get_developer(
    developer_id: Annotated[str, Path(min_length=36, max_length=36)], principal: Reader, session: Session
) -> DeveloperRead:
    developer = await repository.get(session, developer_id)
    if developer is None:
        raise not_found("developer")
    return DeveloperRead.model_validate(developer)

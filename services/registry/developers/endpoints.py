"""``/v1/developers``: the enterprises that build the projects."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Response

from services.common.deps import Paging, Session
from services.common.pagination import TEXT, Page, cursor_values, encode_cursor
from services.common.problems import conflict, not_found, problem_responses
from services.registry import audit
from services.registry.developers.schemas import DeveloperCreate, DeveloperRead
from services.registry.models import Developer
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
    exists = await session.scalar(sa.select(Developer.id).where(Developer.credit_code == data.credit_code))
    if exists:
        raise conflict("A developer with this credit code is registered already.", slug="duplicate-credit-code")
    developer = Developer(name=data.name, credit_code=data.credit_code)
    session.add(developer)
    await session.flush()
    await audit.record(
        session,
        principal,
        entity="developer",
        entity_id=developer.id,
        action="create",
        after={"name": developer.name, "credit_code": developer.credit_code},
    )
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
    stmt = sa.select(Developer)
    if q:
        stmt = stmt.where(sa.or_(Developer.name.contains(q, autoescape=True), Developer.credit_code == q.upper()))
    if paging.cursor:
        name, last_id = cursor_values(paging.cursor, TEXT, TEXT)
        stmt = stmt.where(sa.or_(Developer.name > name, sa.and_(Developer.name == name, Developer.id > last_id)))
    rows = list((await session.scalars(stmt.order_by(Developer.name, Developer.id).limit(paging.limit + 1))).all())
    next_cursor = None
    if len(rows) > paging.limit:
        rows = rows[: paging.limit]
        next_cursor = encode_cursor([rows[-1].name, rows[-1].id])
    return Page[DeveloperRead](items=[DeveloperRead.model_validate(r) for r in rows], next_cursor=next_cursor)


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
    developer = await session.get(Developer, developer_id)
    if developer is None:
        raise not_found("developer")
    return DeveloperRead.model_validate(developer)

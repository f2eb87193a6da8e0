"""``GET /v1/audit``: who changed what in financing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.common.deps import CityAdmin, Paging, Session
from services.common.pagination import Page, cut
from services.common.problems import problem_responses
from services.financing.audit import repository
from services.financing.audit.schemas import AuditEntity, AuditEntryRead

router = APIRouter(prefix="/v1/audit", tags=["audit"])

IdFilter = Annotated[str | None, Query(min_length=36, max_length=36)]


@router.get(
    "",
    operation_id="listAuditEntries",
    response_model=Page[AuditEntryRead],
    summary="The audit log, newest first (city admins)",
    description="Every change to the policy funds (programs, yearly targets, allocations, payments and their "
    "reversals) and every payment refused by a rule of the funds, with who, when, the state before and after, "
    "and the request id.",
    responses=problem_responses(400),
)
async def list_audit(
    principal: CityAdmin,
    session: Session,
    paging: Paging,
    entity: AuditEntity | None = None,
    entity_id: IdFilter = None,
    project_id: IdFilter = None,
) -> Page[AuditEntryRead]:
    rows = await repository.page(session, paging, entity=entity, entity_id=entity_id, project_id=project_id)
    items, next_cursor = cut(rows, paging, lambda entry: (entry.at, entry.id))
    return Page[AuditEntryRead](
        items=[AuditEntryRead.model_validate(entry) for entry in items], next_cursor=next_cursor
    )

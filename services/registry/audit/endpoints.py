"""``/v1/audit``: the registry's audit log, for city admins."""

from __future__ import annotations

from fastapi import APIRouter, Query

from services.common.deps import CityAdmin, Paging, Session
from services.common.pagination import Page, page
from services.common.problems import problem_responses
from services.registry.audit import repository
from services.registry.audit.schemas import AuditEntryRead

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get(
    "",
    operation_id="listAuditEntries",
    description=(
        "Every change to the ledger, with who made it, when, the request id and the fields before and "
        "after. City admins only."
    ),
    response_model=Page[AuditEntryRead],
    summary="The audit log, newest first (city admins)",
    responses=problem_responses(400, 401, 403),
)
async def list_audit(
    principal: CityAdmin,
    session: Session,
    paging: Paging,
    project_id: str | None = Query(None, max_length=36),
    entity_id: str | None = Query(None, max_length=36),
) -> Page[AuditEntryRead]:
    rows = await repository.page(session, paging, project_id=project_id, entity_id=entity_id)
    return page(rows, paging, lambda row: (row.at, row.id), AuditEntryRead)

"""``/v1/projects/{id}/override`` (city admins set and lift, readers see it) and ``/v1/audit``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from services.common.deps import CityAdmin, Paging, Session
from services.common.pagination import Page, page
from services.common.paths import ProjectId
from services.common.problems import not_found, problem_responses
from services.risk.assessments import repository as assessments
from services.risk.overrides import repository, service
from services.risk.overrides.schemas import OverrideAuditRead, OverrideCreate, OverrideRead
from services.risk.scope import Reader, ensure_visible

router = APIRouter(prefix="/v1", tags=["overrides"])


@router.post(
    "/projects/{project_id}/override",
    operation_id="setOverride",
    status_code=201,
    response_model=OverrideRead,
    summary="Set a project's tier by hand, with a reason, until it expires or is lifted (city admins)",
    description="Replaces an override in force. The tier is published at once (`project.risk_tier_changed` when "
    "it differs) and applies whatever later assessments say, until `expires_at` (then the next assessment "
    "ends it) or `DELETE`. Every change is in the audit.",
    responses=problem_responses(401, 403, 404, 422),
)
async def set_override(
    project_id: ProjectId,
    data: OverrideCreate,
    request: Request,
    response: Response,
    principal: CityAdmin,
    session: Session,
) -> OverrideRead:
    settings = request.app.state.settings
    override = await service.set_override(
        session, request.app.state.outbox, principal, project_id, data, settings.override_default_days
    )
    response.headers["Location"] = f"/v1/projects/{project_id}/override"
    return OverrideRead.model_validate(override)


@router.get(
    "/projects/{project_id}/override",
    operation_id="getOverride",
    description="404 when no override is in force.",
    response_model=OverrideRead,
    summary="The project's override, if one has not ended",
    responses=problem_responses(401, 403, 404),
)
async def read_override(project_id: ProjectId, principal: Reader, session: Session) -> OverrideRead:
    ensure_visible(principal, await assessments.state(session, project_id))
    override = await repository.open_override(session, project_id)
    if override is None:
        raise not_found("override")
    return OverrideRead.model_validate(override)


@router.delete(
    "/projects/{project_id}/override",
    operation_id="liftOverride",
    description="The next assessment publishes the model's tier again. Audited.",
    status_code=204,
    summary="Lift the project's override: its tier goes back to what assessments say (city admins)",
    responses=problem_responses(401, 403, 404),
)
async def lift_override(project_id: ProjectId, request: Request, principal: CityAdmin, session: Session) -> Response:
    await service.lift_override(session, request.app.state.outbox, principal, project_id)
    return Response(status_code=204)


@router.get(
    "/audit",
    operation_id="listOverrideAudit",
    description="Every override set, lifted or expired, with who and why. City admins only.",
    response_model=Page[OverrideAuditRead],
    summary="The override audit, newest first (city admins)",
    responses=problem_responses(400, 401, 403),
)
async def list_audit(
    principal: CityAdmin,
    session: Session,
    paging: Paging,
    project_id: Annotated[str | None, Query(max_length=36)] = None,
) -> Page[OverrideAuditRead]:
    rows = await repository.audit_page(session, paging, project_id=project_id)
    return page(rows, paging, lambda row: (row.at, row.id), OverrideAuditRead)

"""``POST /v1/assessments`` and ``GET /v1/projects/{id}/assessments``."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request, Response

from services.common.deps import Paging, ServiceOrAdmin, Session
from services.common.pagination import Page, page
from services.common.paths import ProjectId
from services.common.peers import PeerContractError, PeerUnavailable
from services.common.problems import ProblemError, problem_responses
from services.risk.assessments import repository
from services.risk.assessments.schemas import AssessmentRead, AssessmentRunCreate, AssessmentRunRead, AssessmentTrigger
from services.risk.assessments.service import Assessor, ModelNotLoaded
from services.risk.scope import Reader, ensure_visible

router = APIRouter(prefix="/v1", tags=["assessments"])


@router.post(
    "/assessments",
    operation_id="runAssessments",
    response_model=AssessmentRunRead,
    summary="Assess projects now: facts from registry, funding from financing, scored, stored, tier changes announced",
    description="City admins and peer services. One bulk call to each peer per 5,000 projects; with `all: true` "
    "every project in the registry (tens of thousands take seconds). When financing cannot be reached the "
    "funding is left unknown (`funding_unknown`) and those projects are assessed again once it answers.",
    responses=problem_responses(401, 403, 502, 503),
)
async def run_assessments(data: AssessmentRunCreate, request: Request, principal: ServiceOrAdmin) -> Response:
    assessor: Assessor = request.app.state.assessor
    try:
        result = await assessor.run(None if data.all else data.project_ids, AssessmentTrigger.request)
    except ModelNotLoaded as exc:
        raise ProblemError(503, "The risk model is not loaded; see /readyz.", slug="model-not-loaded") from exc
    except PeerUnavailable as exc:
        raise ProblemError(
            503, f"Cannot assess now: {exc}.", slug="peer-unavailable", headers={"Retry-After": "30"}
        ) from exc
    except PeerContractError as exc:
        raise ProblemError(502, f"Cannot assess: {exc}.", slug="peer-contract") from exc
    body = {
        "as_of": result.as_of,
        "assessed": len(result.items),
        "tier_changes": result.tier_changes,
        "funding_unknown": result.funding_unknown,
        "not_found": result.not_found,
        "items": result.items,
    }
    # Serialized straight from plain data: for the whole ledger, building models first would cost seconds.
    return Response(orjson.dumps(body), media_type="application/json")


@router.get(
    "/projects/{project_id}/assessments",
    operation_id="listAssessments",
    response_model=Page[AssessmentRead],
    summary="A project's assessments, newest first",
    description="City admins, viewers and services; a district officer for projects of its district.",
    responses=problem_responses(400, 401, 403, 404),
)
async def list_assessments(
    project_id: ProjectId, principal: Reader, session: Session, paging: Paging
) -> Page[AssessmentRead]:
    ensure_visible(principal, await repository.state(session, project_id))
    rows = await repository.history(session, paging, project_id)
    return page(rows, paging, lambda row: (row.number,), AssessmentRead)

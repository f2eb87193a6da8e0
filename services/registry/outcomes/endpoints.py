"""``/v1/projects/{id}/outcome``: what finally happened to a project."""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.common.deps import Events, Session
from services.common.paths import ProjectId
from services.common.problems import not_found, problem_responses
from services.registry.models import Outcome
from services.registry.outcomes import service
from services.registry.outcomes.schemas import OutcomeCreate, OutcomeRead
from services.registry.projects import service as projects
from services.registry.scope import Reader, Writer

router = APIRouter(prefix="/v1/projects/{project_id}/outcome", tags=["outcomes"])


@router.post(
    "",
    operation_id="recordOutcome",
    description=(
        "What finally happened: delivered on time, delivered late, or terminated. It must fit the "
        "project's status; these are the labels the risk model learns from."
    ),
    status_code=201,
    response_model=OutcomeRead,
    summary="Record the project's outcome (201); a city admin's POST over a recorded one replaces it (200)",
    responses={
        200: {"description": "A city admin replaced the recorded outcome.", "model": OutcomeRead},
        **problem_responses(401, 403, 404, 409, 422),
    },
)
async def record_outcome(
    project_id: ProjectId,
    data: OutcomeCreate,
    outbox: Events,
    response: Response,
    principal: Writer,
    session: Session,
) -> OutcomeRead:
    project = await projects.load_visible(session, principal, project_id, for_update=True)
    outcome, created = await service.record(session, outbox, principal, project, data)
    response.headers["Location"] = f"/v1/projects/{project_id}/outcome"
    if not created:
        response.status_code = 200
    return OutcomeRead.model_validate(outcome)


@router.get(
    "",
    operation_id="getOutcome",
    description="404 until an outcome is recorded.",
    response_model=OutcomeRead,
    summary="The project's outcome",
    responses=problem_responses(401, 403, 404),
)
async def get_outcome(project_id: ProjectId, principal: Reader, session: Session) -> OutcomeRead:
    project = await projects.load_visible(session, principal, project_id)
    outcome = await session.get(Outcome, project.id)
    if outcome is None:
        raise not_found("outcome")
    return OutcomeRead.model_validate(outcome)

"""``/v1/projects/{id}/progress-reports``: weekly dispatch (周调度)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from services.common.days import Week
from services.common.deps import Events, Paging, Session
from services.common.pagination import Page, page
from services.common.paths import ProjectId
from services.common.problems import not_found, problem_responses
from services.registry.progress import repository, service
from services.registry.progress.schemas import ProgressReportCreate, ProgressReportRead
from services.registry.projects import service as projects
from services.registry.scope import Reader, Writer

router = APIRouter(prefix="/v1/projects/{project_id}/progress-reports", tags=["progress reports"])


@router.post(
    "",
    operation_id="createProgressReport",
    description=(
        "One report per project and ISO week (`2025-W25`); a future week is 422 and a week reported "
        "already 409. A report with `working: false` opens a stall starting on that week's Monday; "
        "`working: true` ends it. Only the latest week moves the project's progress and status."
    ),
    status_code=201,
    response_model=ProgressReportRead,
    summary="Record a week's progress report; a non-working week stalls the project, a working one resumes it",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def create_progress_report(
    project_id: ProjectId,
    data: ProgressReportCreate,
    outbox: Events,
    response: Response,
    principal: Writer,
    session: Session,
) -> ProgressReportRead:
    project = await projects.load_visible(session, principal, project_id, for_update=True)
    report = await service.create(session, outbox, principal, project, data)
    response.headers["Location"] = f"/v1/projects/{project_id}/progress-reports/{report.week}"
    return ProgressReportRead.model_validate(report)


@router.get(
    "",
    operation_id="listProgressReports",
    description="The weekly dispatch (周调度) history of one project.",
    response_model=Page[ProgressReportRead],
    summary="A project's progress reports, latest week first",
    responses=problem_responses(400, 401, 403, 404),
)
async def list_progress_reports(
    project_id: ProjectId, principal: Reader, session: Session, paging: Paging
) -> Page[ProgressReportRead]:
    await projects.load_visible(session, principal, project_id)
    rows = await repository.page(session, paging, project_id)
    return page(rows, paging, lambda row: (row.week,), ProgressReportRead)


@router.get(
    "/{week}",
    operation_id="getProgressReport",
    description="`week` is an ISO week such as `2025-W25`.",
    response_model=ProgressReportRead,
    summary="A project's report for one week",
    responses=problem_responses(401, 403, 404, 422),
)
async def get_progress_report(
    project_id: ProjectId,
    week: Annotated[Week, Path(examples=["2025-W25"])],
    principal: Reader,
    session: Session,
) -> ProgressReportRead:
    await projects.load_visible(session, principal, project_id)
    report = await repository.by_week(session, project_id, week)
    if report is None:
        raise not_found("progress report")
    return ProgressReportRead.model_validate(report)

"""``/v1/projects/{id}/inspections``, ``/v1/inspections/{id}``, ``/v1/findings``: site inspections, their
findings and the rectification loop (整改)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.common.deps import Events, Paging, Session
from services.common.pagination import Page, encode_cursor
from services.common.paths import ProjectId
from services.common.problems import problem_responses
from services.registry.inspections import repository, service
from services.registry.inspections.schemas import (
    FindingCreate,
    FindingRead,
    FindingTransition,
    InspectionCreate,
    InspectionRead,
    Severity,
)
from services.registry.inspections.status import RUNNING, FindingState
from services.registry.models import Finding
from services.registry.projects import service as projects
from services.registry.scope import Reader, Writer, district_scope

router = APIRouter(tags=["inspections"])

InspectionId = Annotated[str, Path(min_length=36, max_length=36, description="The inspection's id (a UUID).")]
FindingId = Annotated[str, Path(min_length=36, max_length=36, description="The finding's id (a UUID).")]
DistrictCode = Annotated[str | None, Query(min_length=1, max_length=12, description="A district code.")]


@router.post(
    "/v1/projects/{project_id}/inspections",
    operation_id="createInspection",
    status_code=201,
    response_model=InspectionRead,
    summary="Record an inspection of a project",
    description="`kind` (`routine`, `special`, `unannounced`, `patrol`, `unit_acceptance` 分户验收), `inspected_on` "
    "(not in the future) and the `inspectors`; its findings are added with `POST /v1/inspections/{id}/findings`. "
    "District officers record inspections in their district, city admins anywhere. Audited.",
    responses=problem_responses(401, 403, 404, 422),
)
async def create_inspection(
    project_id: ProjectId, data: InspectionCreate, response: Response, principal: Writer, session: Session
) -> InspectionRead:
    project = await projects.load_visible(session, principal, project_id)
    inspection = await service.create_inspection(session, principal, project, data)
    response.headers["Location"] = f"/v1/inspections/{inspection.id}"
    reader = await service.Reader.open(session)
    return (await reader.inspections(session, [inspection]))[0]


@router.get(
    "/v1/projects/{project_id}/inspections",
    operation_id="listProjectInspections",
    response_model=Page[InspectionRead],
    summary="A project's inspections, newest first, each with its findings",
    description="Every inspection of the project, each with its findings and their deadlines as of today.",
    responses=problem_responses(400, 401, 403, 404),
)
async def list_project_inspections(
    project_id: ProjectId, principal: Reader, session: Session, paging: Paging
) -> Page[InspectionRead]:
    await projects.load_visible(session, principal, project_id)
    rows = await repository.page(session, paging, project_id)
    items = rows[: paging.limit]
    next_cursor = encode_cursor([items[-1].created_at.isoformat(), items[-1].id]) if len(rows) > paging.limit else None
    reader = await service.Reader.open(session)
    return Page[InspectionRead](items=await reader.inspections(session, items), next_cursor=next_cursor)


@router.get(
    "/v1/inspections/{inspection_id}",
    operation_id="getInspection",
    response_model=InspectionRead,
    summary="Read one inspection with its findings",
    description="An inspection of another district answers 404 to a district officer.",
    responses=problem_responses(401, 403, 404),
)
async def get_inspection(inspection_id: InspectionId, principal: Reader, session: Session) -> InspectionRead:
    inspection = await service.load_inspection(session, principal, inspection_id)
    reader = await service.Reader.open(session)
    return (await reader.inspections(session, [inspection]))[0]


@router.post(
    "/v1/inspections/{inspection_id}/findings",
    operation_id="createFinding",
    status_code=201,
    response_model=FindingRead,
    summary="Record a finding of an inspection: the rectification notice is issued",
    description="`category`, `severity`, `description`, `location`, the `responsible_party`, the `measure` ordered "
    "and `deadline_working_days`, counted in official working days from `notice_issued_on` (default the "
    "inspection's date). The finding starts `open`. A `stop_work` finding puts the project under a stop-work "
    "order (`stop_work_order`, `project.stop_work_changed`) until it is closed. Audited.",
    responses=problem_responses(401, 403, 404, 422),
)
async def create_finding(
    inspection_id: InspectionId,
    data: FindingCreate,
    outbox: Events,
    response: Response,
    principal: Writer,
    session: Session,
) -> FindingRead:
    inspection = await service.load_inspection(session, principal, inspection_id)
    finding = await service.create_finding(session, outbox, principal, inspection, data)
    response.headers["Location"] = f"/v1/findings/{finding.id}"
    return (await service.Reader.open(session)).finding(finding)


def _page(reader: service.Reader, rows: list[Finding], limit: int) -> Page[FindingRead]:
    items = rows[:limit]
    next_cursor = encode_cursor([items[-1].created_at.isoformat(), items[-1].id]) if len(rows) > limit else None
    return Page[FindingRead](items=[reader.finding(f) for f in items], next_cursor=next_cursor)


@router.get(
    "/v1/findings",
    operation_id="listFindings",
    response_model=Page[FindingRead],
    summary="Findings across projects, newest first",
    description="Filter by `district`, `state`, `severity` and `overdue` (open or reopened past the deadline in "
    "force). A district officer sees its own district's findings only.",
    responses=problem_responses(400, 401, 403),
)
async def list_findings(
    principal: Reader,
    session: Session,
    paging: Paging,
    district: DistrictCode = None,
    state: FindingState | None = None,
    severity: Severity | None = None,
    overdue: Annotated[bool | None, Query(description="Only findings past their deadline, or only the others.")] = None,
) -> Page[FindingRead]:
    scope = district_scope(principal)
    if scope is not None and district is not None and district != scope:
        return Page[FindingRead](items=[], next_cursor=None)
    filters = {"district": scope or district, "severity": severity.value if severity else None}
    reader = await service.Reader.open(session)
    if overdue is None:
        states = [state.value] if state is not None else None
        return _page(reader, await repository.page_findings(session, paging, states=states, **filters), paging.limit)
    # Lateness is derived from the calendar, so the candidates are counted here and filtered before paging.
    states = [s.value for s in FindingState if state is None or s is state]
    if overdue:
        states = [s for s in states if FindingState(s) in RUNNING]
    candidates = await repository.findings_after_cursor(session, paging, states=states, **filters)
    matching = [f for f in candidates if reader.clock_of(f).overdue is overdue][: paging.limit + 1]
    return _page(reader, matching, paging.limit)


@router.get(
    "/v1/findings/{finding_id}",
    operation_id="getFinding",
    response_model=FindingRead,
    summary="Read one finding, with its deadline and lateness",
    description="A finding of another district answers 404 to a district officer.",
    responses=problem_responses(401, 403, 404),
)
async def get_finding(finding_id: FindingId, principal: Reader, session: Session) -> FindingRead:
    finding = await service.load_finding(session, principal, finding_id)
    return (await service.Reader.open(session)).finding(finding)


@router.post(
    "/v1/findings/{finding_id}/transitions",
    operation_id="transitionFinding",
    response_model=FindingRead,
    summary="Move a finding through the rectification loop: reply, recheck, escalate",
    description="`open → reply → replied` (`measures_taken`, `replied_by`); `replied → recheck` with `result` "
    "`pass` → `closed` (销号, emits `finding.closed`; the last stop-work finding closed lifts the project's "
    "stop-work order) or `fail` → `reopened` with a new `deadline_working_days` counted from the recheck's day; "
    "`reopened → reply → replied` again. `escalate` (督办, with `note`) is allowed once, on an open or reopened "
    "finding past its deadline, and leaves its state. `on` defaults to today, never in the future nor before the "
    "last move. Any other move answers 409 and changes nothing; every move is audited.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def transition_finding(
    finding_id: FindingId, data: FindingTransition, outbox: Events, principal: Writer, session: Session
) -> FindingRead:
    finding = await service.load_finding(session, principal, finding_id, for_update=True)
    finding = await service.transition(session, outbox, principal, finding, data)
    return (await service.Reader.open(session)).finding(finding)

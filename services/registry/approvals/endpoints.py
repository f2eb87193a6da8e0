"""``/v1/projects/{id}/approvals``, ``/v1/approvals`` and ``/v1/supervision/overdue``: approval cases on the
working-day clock, and the board of what is late."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from services.common import clock as city_clock
from services.common.deps import CityAdmin, Paging, Session
from services.common.outbox import Outbox
from services.common.pagination import Page, encode_cursor
from services.common.paths import ProjectId
from services.common.problems import problem_responses
from services.registry.approvals import board, job, repository, service
from services.registry.approvals.schemas import (
    ApprovalCreate,
    ApprovalItem,
    ApprovalRead,
    ApprovalTransition,
    ClockState,
    DailyCheckRead,
    OverdueKind,
    OverdueRead,
)
from services.registry.approvals.status import RUNNING, ApprovalState
from services.registry.models import Approval
from services.registry.projects import service as projects
from services.registry.scope import Reader, Writer, district_scope

router = APIRouter(tags=["approvals"])

ApprovalId = Annotated[str, Path(min_length=36, max_length=36, description="The approval case's id (a UUID).")]
DistrictCode = Annotated[str | None, Query(min_length=1, max_length=12, description="A district code.")]


def _rules(request: Request) -> service.Rules:
    return service.Rules.of(request.app.state.settings)


async def _page(reader: service.Reader, rows: list[Approval], limit: int) -> tuple[list[ApprovalRead], str | None]:
    items = rows[:limit]
    next_cursor = encode_cursor([items[-1].created_at.isoformat(), items[-1].id]) if len(rows) > limit else None
    return await reader.read(items), next_cursor


@router.post(
    "/v1/projects/{project_id}/approvals",
    operation_id="createApproval",
    status_code=201,
    response_model=ApprovalRead,
    summary="Receive an approval case for a project",
    description="The case starts `received`; its clock runs from the day after `received_on` for "
    "`limit_working_days` official working days (default: the city's committed limit for the item, never above "
    "the statutory one). `tolerance` accepts it with non-key materials missing (容缺受理) against a signed "
    "commitment; `green_channel` records why and by whom a project with incomplete procedures was let in; "
    "`parallel_with` joins another case of the project received the same day (并联审批). Audited.",
    responses=problem_responses(401, 403, 404, 422),
)
async def create_approval(
    project_id: ProjectId,
    data: ApprovalCreate,
    request: Request,
    response: Response,
    principal: Writer,
    session: Session,
) -> ApprovalRead:
    project = await projects.load_visible(session, principal, project_id)
    rules = _rules(request)
    approval = await service.create(session, rules, principal, project, data)
    response.headers["Location"] = f"/v1/approvals/{approval.id}"
    reader = await service.Reader.open(session, rules)
    return (await reader.read([approval]))[0]


@router.get(
    "/v1/projects/{project_id}/approvals",
    operation_id="listProjectApprovals",
    response_model=Page[ApprovalRead],
    summary="A project's approval cases, newest first",
    description="Every case of the project, each with its due date, working days used and clock.",
    responses=problem_responses(400, 401, 403, 404),
)
async def list_project_approvals(
    project_id: ProjectId, request: Request, principal: Reader, session: Session, paging: Paging
) -> Page[ApprovalRead]:
    await projects.load_visible(session, principal, project_id)
    rows = await repository.page(session, paging, project_id=project_id)
    reader = await service.Reader.open(session, _rules(request))
    items, next_cursor = await _page(reader, rows, paging.limit)
    return Page[ApprovalRead](items=items, next_cursor=next_cursor)


@router.get(
    "/v1/approvals",
    operation_id="listApprovals",
    response_model=Page[ApprovalRead],
    summary="Approval cases across projects, newest first",
    description="Filter by `district`, `item`, `state`, `running`, `lead_department` and `clock` (only cases "
    "still running have a clock). A district officer sees its own district's cases only.",
    responses=problem_responses(400, 401, 403),
)
async def list_approvals(
    request: Request,
    principal: Reader,
    session: Session,
    paging: Paging,
    district: DistrictCode = None,
    item: ApprovalItem | None = None,
    state: ApprovalState | None = None,
    clock: ClockState | None = None,
    running: Annotated[
        bool | None, Query(description="Only cases whose clock runs (received, accepted, paused), or only the others.")
    ] = None,
    lead_department: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Only the cases this department leads.")
    ] = None,
) -> Page[ApprovalRead]:
    scope = district_scope(principal)
    if scope is not None and district is not None and district != scope:
        return Page[ApprovalRead](items=[], next_cursor=None)
    filters = {"district": scope or district, "item": item.value if item else None, "lead_department": lead_department}
    reader = await service.Reader.open(session, _rules(request))
    wanted = [
        s for s in ApprovalState if (state is None or s is state) and (running is None or (s in RUNNING) == running)
    ]
    if clock is None:
        states = None if state is None and running is None else [s.value for s in wanted]
        rows = await repository.page(session, paging, states=states, **filters)
        items, next_cursor = await _page(reader, rows, paging.limit)
        return Page[ApprovalRead](items=items, next_cursor=next_cursor)
    # The clock is derived, so the running cases are counted here and filtered before paging.
    candidates = await repository.all_after_cursor(
        session, paging, states=[s.value for s in wanted if s in RUNNING], **filters
    )
    matching = [case.approval for case in await reader.cases(candidates) if reader.clock_of(case).clock is clock][
        : paging.limit + 1
    ]
    items, next_cursor = await _page(reader, matching, paging.limit)
    return Page[ApprovalRead](items=items, next_cursor=next_cursor)


@router.post(
    "/v1/approvals/daily-check",
    operation_id="runApprovalsDailyCheck",
    response_model=DailyCheckRead,
    summary="Run today's overdue check now (city admins)",
    description="What the registry does at each city midnight: announce once each case newly past its due date "
    "(`approval.overdue`) and each owed material newly past its due date (`approval.supplement_overdue`), and "
    "suspend the cases approved with tolerance that owe an overdue material; announce once each inspection finding "
    "newly past its rectification deadline (`finding.overdue`) and each coordination item newly past its due date "
    "(`coordination_item.overdue`). Running it again changes nothing; "
    "use it after an outage or a correction.",
    responses=problem_responses(401, 403),
)
async def run_daily_check(request: Request, principal: CityAdmin, session: Session) -> DailyCheckRead:
    today = city_clock.today()
    result = await job.run(session, request.app.state.outbox, _rules(request), today, principal)
    return DailyCheckRead(
        on=today,
        overdue=result.overdue,
        supplements_overdue=[f"{approval_id}/{material}" for approval_id, material in result.supplements_overdue],
        suspended=result.suspended,
        findings_overdue=result.findings_overdue,
        coordination_items_overdue=result.coordination_overdue,
    )


@router.get(
    "/v1/approvals/{approval_id}",
    operation_id="getApproval",
    response_model=ApprovalRead,
    summary="Read one approval case, with its clock",
    description="A case of another district answers 404 to a district officer.",
    responses=problem_responses(401, 403, 404),
)
async def get_approval(approval_id: ApprovalId, request: Request, principal: Reader, session: Session) -> ApprovalRead:
    approval = await service.load_visible(session, principal, approval_id)
    reader = await service.Reader.open(session, _rules(request))
    return (await reader.read([approval]))[0]


@router.post(
    "/v1/approvals/{approval_id}/transitions",
    operation_id="transitionApproval",
    response_model=ApprovalRead,
    summary="Move an approval case: accept, pause, resume, decide, supplement, suspend's way back, revoke, withdraw",
    description="`received → accepted → approved | approved_with_tolerance | refused`; `accepted ⇄ paused` "
    "(`reason`: `correction` 补正 or `special_procedure`; the clock stops); `approved_with_tolerance → closed` "
    "when the last owed material is supplied, `suspended` (by the daily job) when one is overdue, then "
    "`resume_suspended` (once nothing owed is overdue) or `revoke`; `withdraw` before a decision. Any other move "
    "answers 409 and changes nothing. Every move is audited; a decision emits `approval.decided`.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def transition_approval(
    approval_id: ApprovalId, data: ApprovalTransition, request: Request, principal: Writer, session: Session
) -> ApprovalRead:
    approval = await service.load_visible(session, principal, approval_id, for_update=True)
    outbox: Outbox = request.app.state.outbox
    rules = _rules(request)
    approval = await service.transition(session, outbox, rules, principal, approval, data)
    reader = await service.Reader.open(session, rules)
    return (await reader.read([approval]))[0]


@router.get(
    "/v1/supervision/overdue",
    operation_id="listOverdue",
    tags=["supervision"],
    response_model=Page[OverdueRead],
    summary="The overdue board: everything late, with its owner and how late",
    description="Approval cases still running past their due date, inspection findings open or reopened past "
    "their rectification deadline and coordination items not yet resolved past theirs, most overdue first, each "
    "with the project, district, who holds it (the department of an approval or a coordination item, the "
    "responsible party of a finding), the working and calendar days it is late, and whether it was escalated "
    "(督办). A district officer sees its district; `district` narrows the board for others, `kind` to one kind of "
    "item. The weekly dispatch meeting reads it.",
    responses=problem_responses(400, 401, 403),
)
async def list_overdue(
    request: Request,
    principal: Reader,
    session: Session,
    paging: Paging,
    district: DistrictCode = None,
    kind: Annotated[OverdueKind | None, Query(description="Only items of this kind.")] = None,
) -> Page[OverdueRead]:
    scope = district_scope(principal)
    if scope is not None and district is not None and district != scope:
        return Page[OverdueRead](items=[], next_cursor=None)
    return await board.page(session, _rules(request), paging, scope or district, kind)

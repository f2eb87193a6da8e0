"""``/v1/whitelist``: nominations, the lifecycle, pushes to banks and the banks' decisions (推送—反馈)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from services.common.deps import Paging, Session
from services.common.pagination import Page, cut
from services.common.problems import not_found, problem_responses
from services.financing.banks.schemas import BANK_CODE_PATTERN
from services.financing.scope import BankActor, Nominator, Reader, Staff, bank_scope, can_see, district_scope
from services.financing.whitelist import repository, service
from services.financing.whitelist.schemas import (
    Category,
    Decision,
    DecisionCreate,
    DecisionRead,
    EntryCreate,
    EntryRead,
    TransitionCreate,
    TransitionRead,
)
from services.financing.whitelist.status import EntryStatus

router = APIRouter(prefix="/v1/whitelist", tags=["whitelist"])

Id = Annotated[str, Path(min_length=36, max_length=36, description="A UUID.")]
IdFilter = Annotated[str | None, Query(min_length=36, max_length=36)]
BankFilter = Annotated[str | None, Query(min_length=2, max_length=32, pattern=BANK_CODE_PATTERN)]


@router.post(
    "",
    operation_id="createWhitelistEntry",
    status_code=201,
    response_model=EntryRead,
    summary="Nominate a registry project to the whitelist",
    description="A district officer nominates projects of its district. The project must exist in the registry "
    "and be neither terminated nor closed; a project has at most one entry that is not removed.",
    responses=problem_responses(409, 502, 503),
)
async def nominate(
    data: EntryCreate, request: Request, response: Response, principal: Nominator, session: Session
) -> EntryRead:
    entry = await service.nominate(session, request.app.state.registry_client, principal, data)
    response.headers["Location"] = f"/v1/whitelist/{entry.id}"
    return (await service.reads(session, principal, [entry]))[0]


@router.get(
    "",
    operation_id="listWhitelistEntries",
    response_model=Page[EntryRead],
    summary="List whitelist entries, newest first",
    description="A bank sees the entries pushed to it, a district officer its district's.",
    responses=problem_responses(400),
)
async def list_entries(
    principal: Reader,
    session: Session,
    paging: Paging,
    status: EntryStatus | None = None,
    category: Category | None = None,
    district: Annotated[str | None, Query(min_length=1, max_length=12)] = None,
    project_id: IdFilter = None,
    bank: Annotated[
        str | None, Query(min_length=2, max_length=32, pattern=BANK_CODE_PATTERN, description="Pushed to this bank.")
    ] = None,
) -> Page[EntryRead]:
    own_district = district_scope(principal)
    if own_district is not None and district not in (None, own_district):
        return Page[EntryRead](items=[], next_cursor=None)
    rows = await repository.page(
        session,
        paging,
        district=own_district or district,
        bank=bank_scope(principal),
        status=status,
        category=category.value if category else None,
        project_id=project_id,
        pushed_to=bank,
    )
    items, next_cursor = cut(rows, paging, lambda e: (e.created_at, e.id))
    return Page[EntryRead](items=await service.reads(session, principal, items), next_cursor=next_cursor)


@router.get(
    "/decisions",
    operation_id="listBankDecisions",
    response_model=Page[DecisionRead],
    summary="List the banks' decisions, newest first (`decision=decline` for the declines and their reasons)",
    description="A bank sees its own decisions, a district officer its district's.",
    responses=problem_responses(400),
)
async def list_decisions(
    principal: Reader,
    session: Session,
    paging: Paging,
    decision: Decision | None = None,
    bank: BankFilter = None,
    project_id: IdFilter = None,
    entry_id: IdFilter = None,
) -> Page[DecisionRead]:
    own_bank = bank_scope(principal)
    if own_bank is not None and bank not in (None, own_bank):
        return Page[DecisionRead](items=[], next_cursor=None)
    rows = await repository.decisions_page(
        session,
        paging,
        district=district_scope(principal),
        bank=own_bank or bank,
        decision=decision,
        entry_id=entry_id,
        project_id=project_id,
    )
    items, next_cursor = cut(rows, paging, lambda d: (d.decided_at, d.id))
    return Page[DecisionRead](items=[DecisionRead.model_validate(d) for d in items], next_cursor=next_cursor)


@router.get(
    "/decisions/{decision_id}",
    operation_id="getBankDecision",
    description="A bank sees its own decisions only.",
    response_model=DecisionRead,
    summary="Read one bank decision",
    responses=problem_responses(404),
)
async def get_decision(decision_id: Id, principal: Reader, session: Session) -> DecisionRead:
    decision = await repository.get_decision(session, decision_id)
    if decision is None or not can_see(principal, district=decision.district, bank=decision.bank):
        raise not_found("decision")
    return DecisionRead.model_validate(decision)


@router.get(
    "/{entry_id}",
    operation_id="getWhitelistEntry",
    description="A bank sees only the entries pushed to it; a district officer those of its district.",
    response_model=EntryRead,
    summary="Read one whitelist entry",
    responses=problem_responses(404),
)
async def get_entry(entry_id: Id, principal: Reader, session: Session) -> EntryRead:
    entry = await service.load_visible(session, principal, entry_id)
    return (await service.reads(session, principal, [entry]))[0]


@router.get(
    "/{entry_id}/history",
    operation_id="listWhitelistEntryHistory",
    description='Oldest first, as `{"items", "next_cursor"}` like every list.',
    response_model=Page[TransitionRead],
    summary="The entry's lifecycle: every step, who took it and why (city and district staff)",
    responses=problem_responses(400, 404),
)
async def get_history(entry_id: Id, principal: Staff, session: Session, paging: Paging) -> Page[TransitionRead]:
    entry = await service.load_visible(session, principal, entry_id)
    rows = await repository.history_page(session, paging, entry.id)
    items, next_cursor = cut(rows, paging, lambda t: (t.at, t.id))
    return Page[TransitionRead](items=[TransitionRead.model_validate(t) for t in items], next_cursor=next_cursor)


@router.post(
    "/{entry_id}/transitions",
    operation_id="transitionWhitelistEntry",
    response_model=EntryRead,
    summary="Take a step of the lifecycle: prereview_pass, city_approve, push, remove, "
    "return_for_rectification, resubmit",
    description="`prereview_pass`, `return_for_rectification` (of a nominated entry) and `resubmit`: district "
    "officers of the entry's district or city admins; the rest: city admins. A step the lifecycle does not "
    "allow from the entry's status answers 409.",
    responses=problem_responses(404, 409),
)
async def transition(
    entry_id: Id, data: TransitionCreate, request: Request, principal: Nominator, session: Session
) -> EntryRead:
    entry = await service.load_visible(session, principal, entry_id, for_update=True)
    entry = await service.transition(session, request.app.state.outbox, principal, entry, data)
    return (await service.reads(session, principal, [entry]))[0]


@router.post(
    "/{entry_id}/bank-decisions",
    operation_id="recordBankDecision",
    status_code=201,
    response_model=DecisionRead,
    summary="A pushed bank's decision: approve (opens a credit line) or decline with a reason",
    description="Only a bank the entry was pushed to answers, once; a city admin may record a bank's answer "
    "by naming the `bank`.",
    responses=problem_responses(404, 409),
)
async def decide(
    entry_id: Id, data: DecisionCreate, request: Request, response: Response, principal: BankActor, session: Session
) -> DecisionRead:
    entry = await service.load_visible(session, principal, entry_id, for_update=True)
    decision = await service.decide(session, request.app.state.outbox, principal, entry, data)
    response.headers["Location"] = f"/v1/whitelist/decisions/{decision.id}"
    return DecisionRead.model_validate(decision)

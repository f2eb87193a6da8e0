"""Whitelist rules: nomination, the lifecycle's transitions, pushes to banks and the banks' decisions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.auth import Principal, Role
from services.common.events import EventType
from services.common.outbox import Outbox
from services.common.peers.registry import RegistryClient
from services.common.problems import conflict, not_found, unprocessable
from services.financing import projects
from services.financing.banks import repository as banks_repository
from services.financing.credit_lines import service as credit_lines
from services.financing.credit_lines.schemas import CreditLineKind
from services.financing.events.catalog import BankDecisionRecorded, EntryPushed, EntryRemoved, payload
from services.financing.models import BankDecision, WhitelistEntry, WhitelistPush, WhitelistTransition
from services.financing.scope import acting_bank, bank_scope, can_see, district_scope
from services.financing.whitelist import repository
from services.financing.whitelist.schemas import (
    Category,
    Decision,
    DecisionCreate,
    EntryCreate,
    EntryRead,
    PushRead,
    RemovalReason,
    TransitionCreate,
)
from services.financing.whitelist.status import Action, EntryStatus, move


async def reads(session: AsyncSession, principal: Principal, entries: list[WhitelistEntry]) -> list[EntryRead]:
    """The entries as the caller may see them: a bank sees only its own push."""
    pushes = await repository.pushes_of(session, [e.id for e in entries], bank=bank_scope(principal))
    return [
        EntryRead(
            id=e.id,
            project_id=e.project_id,
            project_code=e.project_code,
            project_name=e.project_name,
            district=e.district,
            category=Category(e.category),
            requested_amount=e.requested_amount,
            status=EntryStatus(e.status),
            note=e.note,
            removal_reason=RemovalReason(e.removal_reason) if e.removal_reason else None,
            pushes=[PushRead(bank=b, pushed_at=at, decision=d) for b, at, d in pushes.get(e.id, [])],
            created_at=e.created_at,
            updated_at=e.updated_at,
        )
        for e in entries
    ]


async def load_visible(
    session: AsyncSession, principal: Principal, entry_id: str, *, for_update: bool = False
) -> WhitelistEntry:
    """The entry, or ProblemError(404) when it does not exist or lies outside the caller's scope."""
    entry = await repository.get(session, entry_id, for_update=for_update)
    if entry is None:
        raise not_found("whitelist entry")
    banks = await repository.pushed_banks(session, entry.id) if bank_scope(principal) else None
    if not can_see(principal, district=entry.district, banks=banks):
        raise not_found("whitelist entry")
    return entry


def _record(
    session: AsyncSession,
    principal: Principal,
    entry: WhitelistEntry,
    action: Action | None,
    from_status: EntryStatus | None,
    *,
    banks: list[str] | None = None,
    reason: RemovalReason | None = None,
    note: str | None = None,
) -> None:
    session.add(
        WhitelistTransition(
            entry_id=entry.id,
            action=action.value if action else None,
            from_status=from_status.value if from_status else None,
            to_status=entry.status,
            banks=banks,
            reason=reason.value if reason else None,
            note=note,
            actor=principal.sub,
            actor_role=principal.role.value,
            at=entry.updated_at,
        )
    )


async def nominate(
    session: AsyncSession, registry: RegistryClient, principal: Principal, data: EntryCreate
) -> WhitelistEntry:
    """Nominate a registry project (a district officer: one of its district).

    Raises ProblemError 422 (no such project, or not in the officer's district), 409 (the project is
    terminated or closed, or already has a live entry), 503 or 502 (the registry cannot answer).
    """
    # Asked before the first statement, so no transaction (on SQLite, no write lock) waits on the registry.
    project = await projects.fetch(registry, data.project_id, "#/body/project_id")
    own = district_scope(principal)
    if own is not None and project["district"] != own:
        raise unprocessable(projects.UNKNOWN_PROJECT, "#/body/project_id", slug="unknown-project")
    if project.get("status") in projects.FINISHED:
        raise conflict(
            f"The project is {project['status']}; it cannot be nominated to the whitelist.",
            slug="project-not-eligible",
        )
    if await repository.live_entry_of(session, data.project_id) is not None:
        raise conflict("The project is on the whitelist already (or nominated).", slug="duplicate-entry")
    now = clock.now()
    entry = WhitelistEntry(
        project_id=data.project_id,
        project_code=str(project.get("code") or "")[:64],
        project_name=str(project.get("name") or "")[:200],
        district=project["district"],
        category=data.category.value,
        requested_amount=data.requested_amount,
        status=EntryStatus.nominated.value,
        note=data.note,
        nominated_by=principal.sub,
        created_at=now,
        updated_at=now,
    )
    session.add(entry)
    try:
        await session.flush()
    except IntegrityError as exc:
        # Another nomination of the project committed between the check and the insert.
        raise conflict("The project is on the whitelist already (or nominated).", slug="duplicate-entry") from exc
    _record(session, principal, entry, None, None, note=data.note)
    return entry


_FIELDS_OF: dict[Action, frozenset[str]] = {
    Action.prereview_pass: frozenset({"note"}),
    Action.city_approve: frozenset({"note"}),
    Action.push: frozenset({"banks", "note"}),
    Action.remove: frozenset({"reason", "note"}),
    Action.return_for_rectification: frozenset({"note"}),
    Action.resubmit: frozenset({"note", "category", "requested_amount"}),
}


def _check_fields(data: TransitionCreate) -> None:
    for name in sorted(data.model_fields_set - {"action"} - _FIELDS_OF[data.action]):
        if getattr(data, name) is not None:
            raise unprocessable(f"`{name}` does not go with the action {data.action.value}.", f"#/body/{name}")
    if data.action is Action.push and not data.banks:
        raise unprocessable("Name the banks to push the entry to.", "#/body/banks")
    if data.action is Action.remove:
        if data.reason is None:
            raise unprocessable("Give the reason for removing the entry.", "#/body/reason")
        if data.reason is RemovalReason.other and not data.note:
            raise unprocessable("Describe the reason `other` in `note`.", "#/body/note")
    if data.action is Action.return_for_rectification and not data.note:
        raise unprocessable("Say in `note` what must be rectified.", "#/body/note")


async def transition(
    session: AsyncSession, outbox: Outbox, principal: Principal, entry: WhitelistEntry, data: TransitionCreate
) -> WhitelistEntry:
    """Take one step of the lifecycle.

    Raises ProblemError 403 (the caller's role may not take the action), 409 (the lifecycle forbids it from
    the entry's status, or a bank was pushed the entry already), 422 (fields that do not go with the action,
    unknown banks).
    """
    action = data.action
    current = EntryStatus(entry.status)
    target = move(principal.role, action, current)
    _check_fields(data)
    banks: list[str] = []
    if action is Action.push:
        banks = list(dict.fromkeys(data.banks or []))
        await _check_banks(session, entry, banks)
    now = clock.now()
    _apply(entry, data, target, now)
    _record(session, principal, entry, action, current, banks=banks or None, reason=data.reason, note=data.note)
    await _push(session, outbox, entry, banks, now)
    if action is Action.remove and data.reason is not None:
        removed = EntryRemoved(entry_id=entry.id, reason=data.reason, removed_at=now)
        await outbox.emit(session, EventType.whitelist_entry_removed, payload(removed), project_id=entry.project_id)
    return entry


def _apply(entry: WhitelistEntry, data: TransitionCreate, target: EntryStatus, now: datetime) -> None:
    """The entry's new status, and what the action changes on it."""
    entry.status = target.value
    entry.updated_at = now
    if data.action is Action.remove:
        entry.removal_reason = data.reason.value if data.reason else None
    if data.action is Action.resubmit:
        if data.category is not None:
            entry.category = data.category.value
        if data.requested_amount is not None:
            entry.requested_amount = data.requested_amount


async def _push(session: AsyncSession, outbox: Outbox, entry: WhitelistEntry, banks: list[str], now: datetime) -> None:
    """Record the push to each of ``banks`` and tell each bank (``whitelist.entry_pushed``)."""
    for bank in banks:
        session.add(
            WhitelistPush(
                entry_id=entry.id, project_id=entry.project_id, district=entry.district, bank=bank, pushed_at=now
            )
        )
    await session.flush()
    for bank in banks:
        pushed = EntryPushed(
            entry_id=entry.id,
            bank=bank,
            project_code=entry.project_code,
            project_name=entry.project_name,
            district=entry.district,
            category=Category(entry.category),
            requested_amount=entry.requested_amount,
            pushed_at=now,
        )
        await outbox.emit(session, EventType.whitelist_entry_pushed, payload(pushed), project_id=entry.project_id)


async def _check_banks(session: AsyncSession, entry: WhitelistEntry, banks: list[str]) -> None:
    known = await banks_repository.known_codes(session, banks)
    for index, bank in enumerate(banks):
        if bank not in known:
            raise unprocessable(
                f"No bank has code {bank!r}; see GET /v1/banks.", f"#/body/banks/{index}", slug="unknown-bank"
            )
    already = sorted(set(banks) & await repository.pushed_banks(session, entry.id))
    if already:
        raise conflict(f"The entry was pushed to {', '.join(already)} already.", slug="already-pushed")


async def decide(
    session: AsyncSession, outbox: Outbox, principal: Principal, entry: WhitelistEntry, data: DecisionCreate
) -> BankDecision:
    """Record a pushed bank's decision; an approval opens a credit line.

    Raises ProblemError 403 (a bank answering for another), 422 (a bank the entry was not pushed to, missing
    or stray fields, bad dates), 409 (the entry is no longer pushed, the bank answered already, or the
    approval would take the project's credit past the ceiling).
    """
    bank = acting_bank(principal, data.bank)
    await _check_may_decide(session, principal, entry, bank)
    _check_decision(data)
    now = clock.now()
    decision = BankDecision(
        entry_id=entry.id,
        project_id=entry.project_id,
        district=entry.district,
        bank=bank,
        decision=data.decision.value,
        reason=data.reason.strip() if data.reason else None,
        decided_by=principal.sub,
        decided_at=now,
    )
    session.add(decision)
    await session.flush()
    if data.decision is Decision.approve and data.amount is not None:
        decision.credit_line_id = await _open_line(session, outbox, principal, entry, decision, data, data.amount)
        await session.flush()
    recorded = BankDecisionRecorded(
        decision_id=decision.id,
        entry_id=entry.id,
        bank=bank,
        decision=data.decision,
        reason=decision.reason,
        credit_line_id=decision.credit_line_id,
        decided_at=now,
    )
    await outbox.emit(
        session, EventType.whitelist_bank_decision_recorded, payload(recorded), project_id=entry.project_id
    )
    return decision


async def _check_may_decide(session: AsyncSession, principal: Principal, entry: WhitelistEntry, bank: str) -> None:
    """Raises ProblemError 404 (a bank the entry was not pushed to), 422 (a city admin naming such a bank) or 409
    (the entry no longer pushed, or the bank answered already)."""
    if bank not in await repository.pushed_banks(session, entry.id):
        if principal.role is Role.bank:
            raise not_found("whitelist entry")
        raise unprocessable(f"The entry was not pushed to bank {bank!r}.", "#/body/bank", slug="not-pushed")
    if entry.status != EntryStatus.pushed:
        raise conflict(f"The entry is {entry.status}; it takes no more decisions.", slug="illegal-transition")
    if await repository.decision_of(session, entry.id, bank) is not None:
        raise conflict(f"Bank {bank!r} answered this entry already.", slug="decision-exists")


async def _open_line(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    entry: WhitelistEntry,
    decision: BankDecision,
    data: DecisionCreate,
    amount: Decimal,
) -> str:
    """Open the credit line of ``amount`` an approval grants; its id."""
    line = await credit_lines.open_line(
        session,
        outbox,
        project_id=entry.project_id,
        district=entry.district,
        bank=decision.bank,
        kind=data.kind or CreditLineKind.development_loan,
        amount=amount,
        approved_on=data.approved_on or clock.today(),
        maturity_date=data.maturity_date,
        actor=principal.sub,
        entry_id=entry.id,
        decision_id=decision.id,
    )
    return line.id


def _check_decision(data: DecisionCreate) -> None:
    if data.decision is Decision.approve:
        if data.amount is None:
            raise unprocessable("An approval carries the approved `amount`.", "#/body/amount")
        if data.reason is not None:
            raise unprocessable("`reason` goes with a decline.", "#/body/reason")
        credit_lines.check_terms(data.approved_on or clock.today(), data.maturity_date)
        return
    if data.reason is None or not data.reason.strip():
        raise unprocessable("A decline must give its reason.", "#/body/reason")
    for name in ("amount", "kind", "approved_on", "maturity_date"):
        if getattr(data, name) is not None:
            raise unprocessable(f"`{name}` goes with an approval.", f"#/body/{name}")

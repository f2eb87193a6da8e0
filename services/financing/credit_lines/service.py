"""Credit line rules: opening a line (by a bank's approval or directly) and who sees which line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.auth import Principal
from services.common.db import serialize_on
from services.common.events import EventType
from services.common.money import MAX_AMOUNT, format_money
from services.common.outbox import Outbox
from services.common.peers.registry import RegistryClient
from services.common.problems import conflict, not_found, unprocessable
from services.financing import projects
from services.financing.banks import service as banks_service
from services.financing.credit_lines import repository
from services.financing.credit_lines.schemas import CreditLineCreate, CreditLineKind, CreditLineRead
from services.financing.events.catalog import CreditLineApproved, payload
from services.financing.models import CreditLine
from services.financing.scope import acting_bank, bank_scope, can_see
from services.financing.whitelist import repository as whitelist_repository


def read(line: CreditLine) -> CreditLineRead:
    return CreditLineRead(
        id=line.id,
        project_id=line.project_id,
        district=line.district,
        bank=line.bank,
        kind=CreditLineKind(line.kind),
        approved_amount=line.approved_amount,
        approved_on=line.approved_on,
        maturity_date=line.maturity_date,
        disbursed_amount=line.disbursed_amount,
        available_amount=line.approved_amount - line.disbursed_amount,
        entry_id=line.entry_id,
        decision_id=line.decision_id,
        created_at=line.created_at,
    )


async def load_visible(
    session: AsyncSession, principal: Principal, line_id: str, *, for_update: bool = False
) -> CreditLine:
    """The line, or ProblemError(404) when it does not exist or lies outside the caller's scope."""
    line = await repository.get(session, line_id, for_update=for_update)
    if line is None or not can_see(principal, district=line.district, bank=line.bank):
        raise not_found("credit line")
    return line


def check_terms(approved_on: date, maturity_date: date | None, *, prefix: str = "#/body") -> None:
    """Raises ProblemError(422) for an approval dated in the future or a maturity not after the approval."""
    if approved_on > clock.today():
        raise unprocessable("A credit line cannot be approved on a future day.", f"{prefix}/approved_on")
    if maturity_date is not None and maturity_date <= approved_on:
        raise unprocessable("The maturity date must come after the approval.", f"{prefix}/maturity_date")


async def open_line(
    session: AsyncSession,
    outbox: Outbox,
    *,
    project_id: str,
    district: str,
    bank: str,
    kind: CreditLineKind,
    amount: Decimal,
    approved_on: date,
    maturity_date: date | None,
    actor: str,
    entry_id: str | None = None,
    decision_id: str | None = None,
) -> CreditLine:
    """Open a line and announce it (``credit_line.approved``) in the caller's transaction.

    Raises ProblemError(409) when the project's approved credit would pass ``MAX_AMOUNT``: its funding position
    must stay one amount of the money contract, or risk could not read it.
    """
    # Lines of one project are opened one after another, so two cannot both fit under the ceiling and pass it.
    await serialize_on(session, f"credit-lines:{project_id}")
    approved = await repository.approved_total(session, project_id)
    if approved + amount > MAX_AMOUNT:
        raise conflict(
            f"The project has {format_money(approved)} of credit approved; {format_money(amount)} more would pass "
            f"{format_money(MAX_AMOUNT)}, the most credit one project can have.",
            slug="project-credit-ceiling",
        )
    line = CreditLine(
        project_id=project_id,
        district=district,
        bank=bank,
        kind=kind.value,
        approved_amount=amount,
        disbursed_amount=Decimal("0"),
        approved_on=approved_on,
        maturity_date=maturity_date,
        entry_id=entry_id,
        decision_id=decision_id,
        created_by=actor,
    )
    session.add(line)
    await session.flush()
    event = CreditLineApproved(
        credit_line_id=line.id,
        bank=bank,
        kind=kind,
        approved_amount=amount,
        approved_on=approved_on,
        maturity_date=maturity_date,
        entry_id=entry_id,
    )
    await outbox.emit(session, EventType.credit_line_approved, payload(event), project_id=project_id)
    return line


async def create(
    session: AsyncSession, outbox: Outbox, registry: RegistryClient, principal: Principal, data: CreditLineCreate
) -> CreditLine:
    """Open a line outside a whitelist decision: a bank's on a project whose whitelist entry stands pushed to it,
    a city admin's on any project the registry knows.

    Raises ProblemError 403 (a bank acting for another, or not registered), 422 (unknown bank; a project the
    registry does not know or, for a bank, one not pushed to it; bad dates), 409 (the project's credit would
    pass the ceiling), 503 or 502 (the registry cannot answer a city admin).
    """
    bank = acting_bank(principal, data.bank)
    approved_on = data.approved_on or clock.today()
    check_terms(approved_on, data.maturity_date)
    pointer = "#/body/project_id"
    if bank_scope(principal) is not None:
        await banks_service.ensure_registered(session, principal, bank, "#/body/bank")
        # Financing's own rows answer, never the registry: a project not pushed to the bank is refused in the
        # same words and the same time as an id no project has, so a bank cannot probe for projects.
        district = await whitelist_repository.pushed_district(session, data.project_id, bank)
        if district is None:
            raise unprocessable("No project with this id is pushed to your bank.", pointer, slug="unknown-project")
    else:
        # Asked before the first statement, so no transaction (on SQLite, no write lock) waits on the registry.
        project = await projects.fetch(registry, data.project_id, pointer)
        await banks_service.ensure_registered(session, principal, bank, "#/body/bank")
        district = str(project["district"])
    return await open_line(
        session,
        outbox,
        project_id=data.project_id,
        district=district,
        bank=bank,
        kind=data.kind,
        amount=data.approved_amount,
        approved_on=approved_on,
        maturity_date=data.maturity_date,
        actor=principal.sub,
    )

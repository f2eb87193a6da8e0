"""Program rules: a city admin records what the city was granted; who sees which program."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.auth import Principal
from services.common.problems import ProblemError, conflict, not_found, unprocessable
from services.financing.audit import service as audit
from services.financing.audit.schemas import AuditAction, AuditEntity
from services.financing.banks import service as banks_service
from services.financing.funds.programs import repository
from services.financing.funds.programs.schemas import FundSource, FundUse, ProgramCreate, ProgramRead
from services.financing.funds.scope import sees_program
from services.financing.models import FundProgram

ZERO = Decimal("0.00")


def read(program: FundProgram, paid: Decimal = ZERO) -> ProgramRead:
    return ProgramRead(
        id=program.id,
        name=program.name,
        source=FundSource(program.source),
        year=program.year,
        granted_amount=program.granted_amount,
        allocated_amount=program.allocated_amount,
        unallocated_amount=program.granted_amount - program.allocated_amount,
        paid_amount=paid,
        granted_on=program.granted_on,
        cutover_date=program.cutover_date,
        eligible_uses=[FundUse(use) for use in program.eligible_uses],
        paying_bank=program.paying_bank,
        created_at=program.created_at,
    )


async def reads(session: AsyncSession, programs: list[FundProgram]) -> list[ProgramRead]:
    """The programs with what each has paid."""
    paid = await repository.paid_of(session, [p.id for p in programs])
    return [read(p, paid.get(p.id, ZERO)) for p in programs]


async def load_visible(
    session: AsyncSession, principal: Principal, program_id: str, *, for_update: bool = False
) -> FundProgram:
    """The program, or ProblemError(404) when it does not exist or lies outside the caller's scope."""
    program = await repository.get(session, program_id, for_update=for_update)
    if program is None or not sees_program(principal, program.paying_bank):
        raise not_found("fund program")
    return program


async def create(session: AsyncSession, principal: Principal, data: ProgramCreate) -> FundProgram:
    """Record a program, audited.

    Raises ProblemError 422 (granted on a future day, an unknown paying bank), 409 (a program of the same name
    and year exists).
    """
    granted_on = data.granted_on or clock.today()
    if granted_on > clock.today():
        raise unprocessable("A program cannot be granted on a future day.", "#/body/granted_on")
    if data.paying_bank is not None:
        await banks_service.ensure_registered(session, principal, data.paying_bank, "#/body/paying_bank")
    if await repository.named(session, data.year, data.name) is not None:
        raise _duplicate(data)
    now = clock.now()
    program = FundProgram(
        name=data.name,
        source=data.source.value,
        year=data.year,
        granted_amount=data.granted_amount,
        allocated_amount=ZERO,
        granted_on=granted_on,
        cutover_date=data.cutover_date,
        eligible_uses=[use.value for use in data.eligible_uses],
        paying_bank=data.paying_bank,
        created_by=principal.sub,
        created_at=now,
        updated_at=now,
    )
    session.add(program)
    try:
        await session.flush()
    except IntegrityError as exc:
        # Another program of the name and year committed between the check and the insert.
        raise _duplicate(data) from exc
    audit.record(
        session,
        principal,
        entity=AuditEntity.fund_program,
        entity_id=program.id,
        action=AuditAction.created,
        after=read(program).model_dump(mode="json"),
    )
    return program


def _duplicate(data: ProgramCreate) -> ProblemError:
    return conflict(f"A program named {data.name!r} exists for {data.year} already.", slug="duplicate-program")

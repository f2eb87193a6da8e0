"""Allocation rules: a program's allocations never add up to more than its grant.

Every change to a program's ``allocated_amount`` happens with the program's row locked (``SELECT ... FOR
UPDATE`` on PostgreSQL; SQLite transactions begin IMMEDIATE and so run one at a time), so concurrent
allocations are checked one after the other against what the previous ones left. A CHECK constraint on the
table is the last guard.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.auth import Principal
from services.common.events import EventType
from services.common.money import format_money
from services.common.outbox import Outbox
from services.common.problems import ProblemError, conflict, not_found, unprocessable
from services.financing import projects
from services.financing.audit import service as audit
from services.financing.audit.schemas import AuditAction, AuditEntity
from services.financing.events.catalog import FundAllocated, payload
from services.financing.funds.allocations import repository
from services.financing.funds.allocations.schemas import AllocationCreate, AllocationRead
from services.financing.funds.programs import repository as programs_repository
from services.financing.funds.programs import service as programs
from services.financing.funds.programs.schemas import FundSource
from services.financing.funds.scope import sees_project_funds
from services.financing.models import FundAllocation, FundProgram


def read(allocation: FundAllocation) -> AllocationRead:
    return AllocationRead(
        id=allocation.id,
        program_id=allocation.program_id,
        project_id=allocation.project_id,
        project_code=allocation.project_code,
        project_name=allocation.project_name,
        district=allocation.district,
        amount=allocation.amount,
        paid_amount=allocation.paid_amount,
        unspent_amount=allocation.amount - allocation.paid_amount,
        allocated_on=allocation.allocated_on,
        note=allocation.note,
        created_at=allocation.created_at,
    )


async def load_visible(
    session: AsyncSession, principal: Principal, allocation_id: str, *, for_update: bool = False
) -> tuple[FundAllocation, FundProgram]:
    """The allocation and its program, or ProblemError(404) when the allocation does not exist or lies outside
    the caller's scope."""
    allocation = await repository.get(session, allocation_id, for_update=for_update)
    program = await programs_repository.get(session, allocation.program_id) if allocation is not None else None
    if (
        allocation is None
        or program is None
        or not sees_project_funds(principal, district=allocation.district, paying_bank=program.paying_bank)
    ):
        raise not_found("allocation")
    return allocation, program


async def allocate(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    program_id: str,
    data: AllocationCreate,
    project: dict[str, Any],
) -> FundAllocation:
    """Give ``data.amount`` of the program to ``project`` (as the registry answered for it), announce it
    (``fund.allocated``) and audit it.

    Raises ProblemError 404 (no such program), 422 (a day in the future or before the grant), 409 (the project
    is terminated or closed, or the amount exceeds what the program has left; nothing changes).
    """
    program = await programs.load_visible(session, principal, program_id, for_update=True)
    allocated_on = data.allocated_on or clock.today()
    check_allocation(program, project, data.amount, allocated_on, clock.today())
    now = clock.now()
    allocation = FundAllocation(
        program_id=program.id,
        project_id=data.project_id,
        project_code=str(project.get("code") or "")[:64],
        project_name=str(project.get("name") or "")[:200],
        district=str(project["district"]),
        amount=data.amount,
        paid_amount=Decimal("0.00"),
        allocated_on=allocated_on,
        note=data.note,
        created_by=principal.sub,
        created_at=now,
        updated_at=now,
    )
    program.allocated_amount = program.allocated_amount + data.amount
    program.updated_at = now
    session.add(allocation)
    await session.flush()
    event = _allocated(allocation, program)
    await outbox.emit(session, EventType.fund_allocated, payload(event), project_id=allocation.project_id)
    audit.record(
        session,
        principal,
        entity=AuditEntity.fund_allocation,
        entity_id=allocation.id,
        action=AuditAction.created,
        project_id=allocation.project_id,
        after=read(allocation).model_dump(mode="json"),
    )
    return allocation


def check_allocation(
    program: FundProgram, project: dict[str, Any], amount: Decimal, allocated_on: date, today: date
) -> None:
    """Raises ProblemError 422 (a day in the future or before the grant) or 409 (the project is terminated or
    closed, or ``amount`` exceeds what the program has left). Pure: the caller has locked the program."""
    pointer = "#/body/allocated_on"
    if allocated_on > today:
        raise unprocessable("An allocation cannot be dated in the future.", pointer)
    if allocated_on < program.granted_on:
        raise unprocessable(f"The program was granted on {program.granted_on}; it cannot be allocated before.", pointer)
    if project.get("status") in projects.FINISHED:
        raise conflict(
            f"The project is {project['status']}; policy funds finish and deliver homes, so it cannot be allocated.",
            slug="project-not-eligible",
        )
    left = program.granted_amount - program.allocated_amount
    if amount > left:
        raise ProblemError(
            409,
            f"The program has {format_money(left)} left to allocate; {format_money(amount)} would take its "
            f"allocations past the {format_money(program.granted_amount)} granted.",
            slug="over-allocation",
            title="Over-allocation",
        )


def _allocated(allocation: FundAllocation, program: FundProgram) -> FundAllocated:
    return FundAllocated(
        allocation_id=allocation.id,
        program_id=program.id,
        program_name=program.name,
        source=FundSource(program.source),
        paying_bank=program.paying_bank,
        district=allocation.district,
        amount=allocation.amount,
        allocated_on=allocation.allocated_on,
        program_allocated_amount=program.allocated_amount,
        program_unallocated_amount=program.granted_amount - program.allocated_amount,
    )

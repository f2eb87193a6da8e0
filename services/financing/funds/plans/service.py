"""Applying an allocation plan: every line becomes an allocation made exactly as one made by hand, or none does.

The lines are checked together first (every project known to the registry and still fundable, the plan's total
within what the program has left), so a refusal names the whole plan's problem; then each line goes through
``allocations.service.allocate``, which locks the program, announces ``fund.allocated`` and audits, as for a
single allocation. Everything happens in the request's one transaction: any refusal rolls all of it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.auth import Principal
from services.common.money import format_money
from services.common.outbox import Outbox
from services.common.problems import ProblemError, conflict, unprocessable
from services.financing import projects
from services.financing.funds.allocations import service as allocations
from services.financing.funds.allocations.schemas import AllocationCreate
from services.financing.funds.plans.schemas import AllocationPlanCreate, AllocationPlanRead
from services.financing.funds.programs import service as programs


def note_of(data: AllocationPlanCreate) -> str | None:
    """The note each allocation carries: the caller's, else the advice it comes from."""
    if data.note is not None or data.advice is None:
        return data.note
    return f"配置建议 allocation advice: model {data.advice.model_version}, facts of {data.advice.as_of.isoformat()}"


async def apply(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    program_id: str,
    data: AllocationPlanCreate,
    found: Mapping[str, dict[str, Any]],
) -> AllocationPlanRead:
    """Allocate every line of ``data`` to its project (``found``: the registry's projects by id).

    Raises ProblemError 404 (no such program), 422 (a project the registry does not know, at its line's pointer;
    a day in the future or before the grant), 409 (a project terminated or closed, or the plan's total beyond
    what the program has left); nothing changes then.
    """
    for i, line in enumerate(data.plan):
        project = found.get(line.project_id)
        if project is None:
            raise unprocessable(projects.UNKNOWN_PROJECT, f"#/body/plan/{i}/project_id", slug="unknown-project")
        if project.get("status") in projects.FINISHED:
            raise conflict(
                f"Line {i} ({project.get('code')}): the project is {project['status']}; policy funds finish and "
                "deliver homes, so it cannot be allocated.",
                slug="project-not-eligible",
            )
    program = await programs.load_visible(session, principal, program_id, for_update=True)
    total = sum((line.amount for line in data.plan), start=Decimal("0.00"))
    left = program.granted_amount - program.allocated_amount
    if total > left:
        raise ProblemError(
            409,
            f"The program has {format_money(left)} left to allocate; the plan's {format_money(total)} would take "
            f"its allocations past the {format_money(program.granted_amount)} granted.",
            slug="over-allocation",
            title="Over-allocation",
        )
    allocated_on = data.allocated_on or clock.today()
    note = note_of(data)
    made = [
        await allocations.allocate(
            session,
            outbox,
            principal,
            program_id,
            AllocationCreate(project_id=line.project_id, amount=line.amount, allocated_on=allocated_on, note=note),
            found[line.project_id],
        )
        for line in data.plan
    ]
    return AllocationPlanRead(
        program_id=program.id,
        allocated=total,
        program_allocated_amount=program.allocated_amount,
        program_unallocated_amount=program.granted_amount - program.allocated_amount,
        allocated_on=allocated_on,
        allocations=[allocations.read(allocation) for allocation in made],
    )

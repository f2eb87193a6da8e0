"""Outcomes: recorded once per project when its story ends; a city admin may correct one."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.auth import Principal, Role
from services.common.outbox import Outbox
from services.common.problems import conflict, unprocessable
from services.registry import audit
from services.registry.models import Outcome, Project
from services.registry.outcomes.schemas import OutcomeCreate, OutcomeKind
from services.registry.projects.service import emit_facts_changed
from services.registry.projects.status import ProjectStatus

# The statuses an outcome may be recorded in: the story must have ended the way the outcome says.
_STATUSES = {
    OutcomeKind.delivered_on_time: frozenset({ProjectStatus.delivered, ProjectStatus.closed}),
    OutcomeKind.delivered_late: frozenset({ProjectStatus.delivered, ProjectStatus.closed}),
    OutcomeKind.terminated: frozenset({ProjectStatus.terminated}),
}


def _snapshot(outcome: Outcome) -> dict[str, Any]:
    return {
        "kind": outcome.kind,
        "delivered_on": outcome.delivered_on.isoformat() if outcome.delivered_on else None,
        "note": outcome.note,
    }


def _check(project: Project, data: OutcomeCreate) -> None:
    """Raises ProblemError 422 for dates that do not fit the kind, 409 when the project's status does not."""
    if data.kind is OutcomeKind.terminated:
        if data.delivered_on is not None:
            raise unprocessable("A terminated project has no delivery date.", "#/body/delivered_on")
    elif data.delivered_on is None:
        raise unprocessable(f"{data.kind.value} needs delivered_on.", "#/body/delivered_on")
    elif data.delivered_on > clock.today():
        raise unprocessable("delivered_on may not be in the future.", "#/body/delivered_on")
    elif (data.kind is OutcomeKind.delivered_on_time) != (data.delivered_on <= project.contract_delivery_date):
        raise unprocessable(
            f"delivered_on {data.delivered_on.isoformat()} against the contract delivery date "
            f"{project.contract_delivery_date.isoformat()} is not {data.kind.value}.",
            "#/body/kind",
        )
    allowed = _STATUSES[data.kind]
    if ProjectStatus(project.status) not in allowed:
        raise conflict(
            f"A {project.status} project cannot have the outcome {data.kind.value}; "
            f"move it to {' or '.join(sorted(allowed))} first.",
            slug="outcome-status-mismatch",
        )


async def record(
    session: AsyncSession, outbox: Outbox, principal: Principal, project: Project, data: OutcomeCreate
) -> tuple[Outcome, bool]:
    """Record the outcome of ``project`` (loaded for update): (the outcome, whether it is new).

    Raises ProblemError 422 or 409 (see ``_check``), and 409 when an outcome exists and the caller is not a city
    admin, the one role that may replace it.
    """
    _check(project, data)
    outcome = await session.get(Outcome, project.id)
    created = outcome is None
    if outcome is not None and principal.role is not Role.city_admin:
        raise conflict("This project's outcome is recorded already; a city admin may correct it.", "outcome-recorded")
    before = _snapshot(outcome) if outcome is not None else None
    if outcome is None:
        outcome = Outcome(project_id=project.id)
        session.add(outcome)
    outcome.kind = data.kind.value
    outcome.delivered_on = data.delivered_on
    outcome.note = data.note
    outcome.recorded_by = principal.sub
    outcome.recorded_at = clock.now()
    await session.flush()
    await audit.record(
        session,
        principal,
        entity="outcome",
        entity_id=project.id,
        project_id=project.id,
        action="create" if created else "replace",
        before=before,
        after=_snapshot(outcome),
    )
    await emit_facts_changed(session, outbox, project, cause="outcome.recorded", fields=["outcome"])
    return outcome, created

"""Disputes: recording, resolving, and telling risk when the counts it scores on change."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.auth import Principal
from services.common.outbox import Outbox
from services.common.problems import not_found, unprocessable
from services.registry import audit
from services.registry.disputes import repository
from services.registry.disputes.schemas import DisputeCreate, DisputeUpdate
from services.registry.models import Dispute, Project
from services.registry.projects.service import emit_facts_changed
from services.registry.scope import can_see_district

# What risk scores on: a change of these is a change of the project's facts.
_FACTS = ("kind", "opened_on", "resolved_on")


def _snapshot(dispute: Dispute) -> dict[str, Any]:
    return {
        "kind": dispute.kind,
        "opened_on": dispute.opened_on.isoformat(),
        "resolved_on": dispute.resolved_on.isoformat() if dispute.resolved_on else None,
        "summary": dispute.summary,
    }


def _check_dates(opened_on: date, resolved_on: date | None) -> None:
    today = clock.today()
    if opened_on > today:
        raise unprocessable("opened_on may not be in the future.", "#/body/opened_on")
    if resolved_on is not None and resolved_on > today:
        raise unprocessable("resolved_on may not be in the future.", "#/body/resolved_on")
    if resolved_on is not None and resolved_on < opened_on:
        raise unprocessable(f"resolved_on may not be before opened_on ({opened_on.isoformat()}).", "#/body/resolved_on")


async def create(
    session: AsyncSession, outbox: Outbox, principal: Principal, project: Project, data: DisputeCreate
) -> Dispute:
    """Record a dispute about ``project``. Raises ProblemError(422) for a date in the future or out of order."""
    _check_dates(data.opened_on, data.resolved_on)
    dispute = Dispute(
        project_id=project.id,
        kind=data.kind.value,
        opened_on=data.opened_on,
        resolved_on=data.resolved_on,
        summary=data.summary,
        created_at=clock.now(),
    )
    session.add(dispute)
    await session.flush()
    await audit.record(
        session,
        principal,
        entity="dispute",
        entity_id=dispute.id,
        project_id=project.id,
        action="create",
        after=_snapshot(dispute),
    )
    await emit_facts_changed(session, outbox, project, cause="dispute.created", fields=["disputes"])
    return dispute


async def load_visible(
    session: AsyncSession, principal: Principal, dispute_id: str, *, for_update: bool = False
) -> tuple[Dispute, Project]:
    """The dispute and its project, or ProblemError(404) when missing or about another district's project."""
    row = await repository.with_project(session, dispute_id, for_update=for_update)
    if row is None or not can_see_district(principal, row.Project.district):
        raise not_found("dispute")
    return row.Dispute, row.Project


async def update(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    dispute: Dispute,
    project: Project,
    data: DisputeUpdate,
) -> Dispute:
    """Apply a PATCH. Raises ProblemError(422) for a null kind or a resolution date out of order."""
    changes = data.model_dump(exclude_unset=True)
    if "kind" in changes:
        if changes["kind"] is None:
            raise unprocessable("kind may not be null.", "#/body/kind")
        changes["kind"] = changes["kind"].value
    _check_dates(dispute.opened_on, changes.get("resolved_on", dispute.resolved_on))
    before = _snapshot(dispute)
    for key, value in changes.items():
        setattr(dispute, key, value)
    changed = await audit.record_diff(
        session,
        principal,
        before,
        _snapshot(dispute),
        entity="dispute",
        entity_id=dispute.id,
        project_id=project.id,
        action="update",
    )
    if any(k in _FACTS for k in changed):
        await emit_facts_changed(session, outbox, project, cause="dispute.updated", fields=["disputes"])
    return dispute

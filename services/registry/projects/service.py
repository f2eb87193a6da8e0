"""Project rules: registration, updates along the status machine, stalls, and the facts-changed event."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.auth import Principal
from services.common.db import new_id
from services.common.etags import if_match_allows
from services.common.events import EventType
from services.common.money import format_money
from services.common.outbox import Outbox
from services.common.problems import ProblemError, conflict, not_found, unprocessable
from services.registry import audit
from services.registry.models import Developer, Project, Stall, UnitDelivery
from services.registry.projects import repository
from services.registry.projects.schemas import ProjectCreate, ProjectUpdate
from services.registry.projects.status import INITIAL, ProjectStatus, can_transition
from services.registry.scope import can_see_district, ensure_may_register_in

AUDITED_FIELDS = (
    "code",
    "name",
    "district",
    "developer_id",
    "total_units",
    "sold_units",
    "delivered_units",
    "contract_delivery_date",
    "status",
    "progress_pct",
    "stall_started_on",
    "remaining_cost",
    "own_funds_available",
    "responsible_unit",
    "responsible_person",
    "risk_tier",
    "task_force_leader_name",
    "task_force_leader_title",
    "stop_work_order",
)


def snapshot(project: Project) -> dict[str, Any]:
    """A JSON-ready picture of a project for the audit log."""
    out: dict[str, Any] = {}
    for name in AUDITED_FIELDS:
        value = getattr(project, name)
        if isinstance(value, Decimal):
            value = format_money(value) if name in ("remaining_cost", "own_funds_available") else str(value)
        elif isinstance(value, date):
            value = value.isoformat()
        out[name] = value
    return out


def etag(project: Project) -> str:
    return f'"{project.version}"'


async def load_visible(
    session: AsyncSession, principal: Principal, project_id: str, *, for_update: bool = False
) -> Project:
    """The project, or 404 when it does not exist or lies outside the caller's district."""
    project = await repository.get(session, project_id, for_update=for_update)
    if project is None or not can_see_district(principal, project.district):
        raise not_found("project")
    return project


def _check_units(total: int, sold: int, delivered: int) -> None:
    if sold > total:
        raise unprocessable(f"sold_units ({sold}) may not exceed total_units ({total}).", "#/body/sold_units")
    if delivered > sold:
        raise unprocessable(
            f"delivered_units ({delivered}) may not exceed sold_units ({sold}).", "#/body/delivered_units"
        )


async def _check_developer(session: AsyncSession, developer_id: str) -> None:
    if await session.get(Developer, developer_id) is None:
        raise unprocessable("No developer has this id.", "#/body/developer_id")


def check_district(known: Collection[str], district: str) -> None:
    if district not in known:
        raise unprocessable(f"Unknown district code {district!r}; see GET /v1/districts.", "#/body/district")


async def create(
    session: AsyncSession, outbox: Outbox, principal: Principal, data: ProjectCreate, *, districts: Collection[str]
) -> Project:
    """Register a project in one of ``districts`` (the configured codes).

    Raises ProblemError 403 (another district), 409 (code taken) or 422.
    """
    check_new(principal, data, districts=districts)
    await _check_developer(session, data.developer_id)
    if await repository.code_exists(session, data.code):
        raise conflict(f"A project with code {data.code!r} exists already.", slug="duplicate-code")
    now = clock.now()
    project = Project(**data.model_dump(), version=1, created_at=now, updated_at=now)
    session.add(project)
    await session.flush()
    await audit.record(
        session,
        principal,
        entity="project",
        entity_id=project.id,
        project_id=project.id,
        action="create",
        after=snapshot(project),
    )
    await emit_facts_changed(session, outbox, project, cause="project.created", fields=list(data.model_fields_set))
    return project


def check_new(principal: Principal, data: ProjectCreate, *, districts: Collection[str]) -> None:
    """The rules of ``create`` that need no database: the district (the caller's own for an officer), the initial
    status and the units. Raises ProblemError 403 or 422."""
    check_district(districts, data.district)
    ensure_may_register_in(principal, data.district)
    if data.status not in INITIAL:
        raise unprocessable("A new project starts as registered or under_construction.", "#/body/status")
    _check_units(data.total_units, data.sold_units, data.delivered_units)


async def create_many(
    session: AsyncSession, outbox: Outbox, principal: Principal, items: Sequence[ProjectCreate]
) -> list[Project]:
    """Register many projects with a few statements (a spreadsheet import), each audited and announced as
    ``create`` does. The caller has checked each with ``check_new``, knows its developer exists and its code
    is free (the import reads the codes it names, locked, first)."""
    now = clock.now()
    projects = [Project(id=new_id(), **data.model_dump(), version=1, created_at=now, updated_at=now) for data in items]
    session.add_all(projects)
    await session.flush()
    entries = [audit.Entry("project", p.id, "create", p.id, after=snapshot(p)) for p in projects]
    await audit.record_many(session, principal, entries)
    await outbox.emit_many(
        session,
        EventType.project_facts_changed,
        [
            (
                project.id,
                {"district": project.district, "cause": "project.created", "fields": sorted(data.model_fields_set)},
            )
            for project, data in zip(projects, items, strict=True)
        ],
    )
    return projects


async def update(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    project: Project,
    data: ProjectUpdate,
    if_match: str | None,
) -> Project:
    """Apply a PATCH. Raises ProblemError 412 (stale If-Match), 409 (illegal transition) or 422."""
    if if_match is not None and not if_match_allows(if_match, etag(project)):
        raise ProblemError(
            412, "The project changed since you read it; fetch it again and retry.", slug="precondition-failed"
        )
    changes = data.model_dump(exclude_unset=True)
    nulls = [k for k, v in changes.items() if v is None and k not in ("responsible_unit", "responsible_person")]
    if nulls:
        raise unprocessable(f"{nulls[0]} may not be null.", f"#/body/{nulls[0]}")
    before = snapshot(project)
    total = changes.get("total_units", project.total_units)
    sold = changes.get("sold_units", project.sold_units)
    delivered = changes.get("delivered_units", project.delivered_units)
    _check_units(total, sold, delivered)
    if delivered < project.delivered_units:
        raise unprocessable("delivered_units never decreases.", "#/body/delivered_units")
    if "developer_id" in changes:
        await _check_developer(session, changes["developer_id"])
    today = clock.today()
    new_status = changes.pop("status", None)
    if new_status is not None and new_status != project.status:
        transition(project, ProjectStatus(new_status), today)
        if new_status == ProjectStatus.delivered.value:
            # Imported here: the inspections service builds on this one (record_change), so not at import time.
            from services.registry.inspections import service as inspections

            await inspections.check_delivery(session, project)
        # Every move, not only a resume: a stalled project certified completed or terminated ends its stall too.
        await sync_stall(session, project, today)
    if delivered > project.delivered_units:
        session.add(UnitDelivery(project_id=project.id, delivered_on=today, units=delivered - project.delivered_units))
    for key, value in changes.items():
        setattr(project, key, value)
    await record_change(session, outbox, principal, project, before, action="update", cause="project.updated")
    return project


async def record_change(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    project: Project,
    before: dict[str, Any],
    *,
    action: str,
    cause: str,
    announce_unchanged: bool = False,
) -> list[str]:
    """Record a change made to ``project`` since its ``snapshot`` ``before``: when a field changed, a new version
    (its ETag) and ``updated_at``, one audit row with the changed fields before and after, and
    ``project.facts_changed``. ``announce_unchanged`` announces even an unchanged project (a new weekly report
    is a moment to rescore). Returns the fields changed."""
    after = snapshot(project)
    changed = audit.changed_fields(before, after)
    if changed:
        project.version += 1
        project.updated_at = clock.now()
        await audit.record_diff(
            session,
            principal,
            before,
            after,
            entity="project",
            entity_id=project.id,
            project_id=project.id,
            action=action,
        )
    if changed or announce_unchanged:
        await emit_facts_changed(session, outbox, project, cause=cause, fields=changed)
    return changed


def transition(project: Project, target: ProjectStatus, today: date) -> None:
    """Move ``project`` to ``target``. Raises ProblemError(409) for a move the status machine forbids."""
    current = ProjectStatus(project.status)
    if not can_transition(current, target):
        raise conflict(f"A project cannot go from {current.value} to {target.value}.", slug="illegal-transition")
    project.status = target.value
    if target is ProjectStatus.stalled:
        project.stall_started_on = project.stall_started_on or today
    elif current is ProjectStatus.stalled:
        project.stall_started_on = None


async def sync_stall(session: AsyncSession, project: Project, today: date) -> None:
    """Open a stall row when the project stalls, close the open one when it works again."""
    sync_stall_known(session, project, today, await open_stalls(session, [project.id]))


async def open_stalls(session: AsyncSession, project_ids: Sequence[str]) -> dict[str, Stall]:
    """The open stalls of these projects (locked), by project id: what ``sync_stall_known`` keeps up to date."""
    return await repository.open_stalls(session, project_ids)


def sync_stall_known(session: AsyncSession, project: Project, today: date, open_stalls: dict[str, Stall]) -> None:
    """``sync_stall`` without a query: ``open_stalls`` (from ``open_stalls``) holds every open stall of the
    projects changed, and is kept up to date here."""
    open_stall = open_stalls.get(project.id)
    if project.status == ProjectStatus.stalled and open_stall is None:
        stall = Stall(id=new_id(), project_id=project.id, started_on=project.stall_started_on or today)
        session.add(stall)
        open_stalls[project.id] = stall
    elif project.status != ProjectStatus.stalled and open_stall is not None:
        open_stall.ended_on = today
        del open_stalls[project.id]


async def record_changes(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    changes: Sequence[tuple[Project, dict[str, Any]]],
    *,
    action: str,
    cause: str,
    announce_unchanged: bool = False,
) -> None:
    """``record_change`` for many projects at once (a spreadsheet import): for each project the same new version,
    audit row and ``project.facts_changed``, written with a few statements in all."""
    now = clock.now()
    entries: list[audit.Entry] = []
    events: list[tuple[str, dict[str, Any]]] = []
    for project, before in changes:
        after = snapshot(project)
        changed = audit.changed_fields(before, after)
        if changed:
            project.version += 1
            project.updated_at = now
            entries.append(
                audit.Entry(
                    "project",
                    project.id,
                    action,
                    project.id,
                    before={k: before[k] for k in changed},
                    after={k: after[k] for k in changed},
                )
            )
        if changed or announce_unchanged:
            events.append((project.id, {"district": project.district, "cause": cause, "fields": sorted(changed)}))
    await audit.record_many(session, principal, entries)
    await outbox.emit_many(session, EventType.project_facts_changed, events)


async def emit_facts_changed(
    session: AsyncSession, outbox: Outbox, project: Project, *, cause: str, fields: list[str] | None = None
) -> None:
    """Tell subscribers (the risk service) that a project's facts changed, in this transaction."""
    await outbox.emit(
        session,
        EventType.project_facts_changed,
        {"district": project.district, "cause": cause, "fields": sorted(fields or [])},
        project_id=project.id,
    )

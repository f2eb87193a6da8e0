"""Task forces (工作专班): each PUT adds a version and makes it the project's current task force; the project
carries the current leader (包保领导) so its read and its list show and filter by it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.auth import Principal
from services.common.outbox import Outbox
from services.common.pagination import PageParams
from services.common.problems import not_found, unprocessable
from services.registry import audit
from services.registry.models import Project, TaskForce
from services.registry.projects.service import record_change, snapshot
from services.registry.taskforces import repository
from services.registry.taskforces.schemas import Leader, Member, TaskForceCreate, TaskForceRead


def check(data: TaskForceCreate) -> None:
    """Raises ProblemError(422) at the first member named twice in one unit, or department given twice."""
    seen_members: set[tuple[str, str]] = set()
    for index, member in enumerate(data.members):
        key = (member.name.strip(), member.unit.strip())
        if key in seen_members:
            raise unprocessable("A member may be listed once per unit.", f"#/body/members/{index}")
        seen_members.add(key)
    seen_departments: set[str] = set()
    for index, department in enumerate(data.departments):
        if department.strip() in seen_departments:
            raise unprocessable("A department may be listed once.", f"#/body/departments/{index}")
        seen_departments.add(department.strip())


def content(data: TaskForceCreate) -> dict[str, Any]:
    """The task force as JSON-ready data, for the audit log and to recognise a PUT that changes nothing."""
    return data.model_dump(mode="json")


def _as_create(task_force: TaskForce) -> TaskForceCreate:
    return TaskForceCreate.model_validate(
        {
            "leader": {"name": task_force.leader_name, "title": task_force.leader_title},
            "lead_unit": task_force.lead_unit,
            "members": task_force.members,
            "departments": task_force.departments,
        }
    )


def _read(task_force: TaskForce, project: Project) -> TaskForceRead:
    return TaskForceRead(
        id=task_force.id,
        project_id=task_force.project_id,
        version=task_force.version,
        current=task_force.id == project.current_task_force_id,
        leader=Leader(name=task_force.leader_name, title=task_force.leader_title),
        lead_unit=task_force.lead_unit,
        members=[Member.model_validate(m) for m in task_force.members],
        departments=list(task_force.departments),
        created_by=task_force.created_by,
        created_at=task_force.created_at,
    )


async def put(
    session: AsyncSession, outbox: Outbox, principal: Principal, project: Project, data: TaskForceCreate
) -> TaskForceRead:
    """Make ``data`` the current task force of ``project`` (loaded for update) and return it.

    A PUT equal to the current version adds none. A new leader is a change to the project (its version, audit
    row and ``project.facts_changed``). Raises ProblemError(422) for a member or department listed twice.
    """
    check(data)
    if project.current_task_force_id is not None:
        current = await repository.get(session, project.current_task_force_id)
        if current is not None and content(_as_create(current)) == content(data):
            return _read(current, project)
    body = content(data)
    task_force = TaskForce(
        project_id=project.id,
        version=await repository.latest_version(session, project.id) + 1,
        leader_name=data.leader.name,
        leader_title=data.leader.title,
        lead_unit=data.lead_unit,
        members=body["members"],
        departments=body["departments"],
        created_by=principal.sub,
        created_at=clock.now(),
    )
    session.add(task_force)
    await session.flush()
    before = snapshot(project)
    project.current_task_force_id = task_force.id
    project.task_force_leader_name = data.leader.name
    project.task_force_leader_title = data.leader.title
    await audit.record(
        session,
        principal,
        entity="task_force",
        entity_id=task_force.id,
        project_id=project.id,
        action="create",
        after={"version": task_force.version, **body},
    )
    await record_change(session, outbox, principal, project, before, action="update", cause="task_force.updated")
    return _read(task_force, project)


async def current(session: AsyncSession, project: Project) -> TaskForceRead:
    """The task force in force. Raises ProblemError(404) when the project has none yet."""
    task_force = await repository.get(session, project.current_task_force_id) if project.current_task_force_id else None
    if task_force is None:
        raise not_found("task force")
    return _read(task_force, project)


async def version(session: AsyncSession, project: Project, number: int) -> TaskForceRead:
    """One version. Raises ProblemError(404) when the project has no such version."""
    task_force = await repository.by_version(session, project.id, number)
    if task_force is None:
        raise not_found("task force version")
    return _read(task_force, project)


async def versions(session: AsyncSession, paging: PageParams, project: Project) -> list[TaskForceRead]:
    """A page of versions (and one more when a next page exists), newest first."""
    return [_read(t, project) for t in await repository.page(session, paging, project.id)]

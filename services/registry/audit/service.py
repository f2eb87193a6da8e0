"""Writing the audit log: who changed what, when, and the state before and after."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.auth import Principal
from services.common.context import current_request_id
from services.common.db import new_id
from services.registry.audit import repository
from services.registry.models import AuditEntry


async def record(
    session: AsyncSession,
    principal: Principal,
    *,
    entity: str,
    entity_id: str,
    action: str,
    project_id: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Add an audit entry in the caller's transaction."""
    session.add(
        AuditEntry(
            actor=principal.sub,
            actor_role=principal.role.value,
            entity=entity,
            entity_id=entity_id,
            project_id=project_id,
            action=action,
            before=before,
            after=after,
            request_id=current_request_id(),
        )
    )


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry of ``record_many``."""

    entity: str
    entity_id: str
    action: str
    project_id: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


async def record_many(session: AsyncSession, principal: Principal, entries: Sequence[Entry]) -> None:
    """Add many audit entries in one statement (a spreadsheet import), as ``record`` would add each."""
    at, request_id = clock.now(), current_request_id()
    await repository.insert_many(
        session,
        [
            {
                "id": new_id(),
                "at": at,
                "actor": principal.sub,
                "actor_role": principal.role.value,
                "entity": e.entity,
                "entity_id": e.entity_id,
                "project_id": e.project_id,
                "action": e.action,
                "before": e.before,
                "after": e.after,
                "request_id": request_id,
            }
            for e in entries
        ],
    )


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The fields whose value differs between two snapshots, sorted."""
    return sorted(k for k in after if after[k] != before.get(k))


async def record_diff(
    session: AsyncSession,
    principal: Principal,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    *,
    entity: str,
    entity_id: str,
    action: str,
    project_id: str | None = None,
) -> list[str]:
    """Audit what changed between two snapshots of one entity, only the changed fields before and after; the
    fields changed (none: nothing is written)."""
    changed = changed_fields(before, after)
    if changed:
        await record(
            session,
            principal,
            entity=entity,
            entity_id=entity_id,
            project_id=project_id,
            action=action,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    return changed

"""``project.facts_changed`` from registry: queue the project for reassessment, and nothing slower.

The handler runs inside the inbox's transaction, so it only records the project in ``pending_reassessments``;
the worker (``worker.py``) fetches facts and funding over HTTP after the commit. A slow or absent registry
never holds up the inbox, and an acknowledged event is never lost: the queue is a table.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.context import current_request_id
from services.common.outbox import Outbox
from services.common.problems import ProblemError
from services.risk.assessments import repository


async def on_facts_changed(session: AsyncSession, data: dict[str, Any], outbox: Outbox) -> None:
    """Queue ``data["project_id"]`` for reassessment. Raises ProblemError(422) for an event without one."""
    project_id = data.get("project_id")
    if not isinstance(project_id, str) or not 0 < len(project_id) <= 36:
        raise ProblemError(422, "project.facts_changed needs a project_id.", slug="bad-event")
    await repository.request_reassessment(session, project_id, clock.now(), current_request_id())

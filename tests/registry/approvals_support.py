"""Helpers for the approvals tests: a frozen city day, working days counted independently of the registry
(with ``chinese_calendar``, the package the shipped years are built from), and shortcuts to the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import chinese_calendar
import sqlalchemy as sa
import time_machine

from services.registry.approvals import job
from services.registry.approvals.service import Rules
from services.registry.models import OUTBOX
from tests.registry.conftest import Registry
from tests.support import factories
from tests.support.apps import auth

RECEIVED = date(2026, 9, 28)
TODAY = date(2026, 10, 12)


@contextmanager
def city_day(day: date) -> Iterator[None]:
    """Noon of ``day`` in the city (UTC+8), the clock stopped."""
    with time_machine.travel(datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC), tick=False):
        yield


def counted(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end``."""
    return sum(chinese_calendar.is_workday(start + timedelta(days=n)) for n in range(1, (end - start).days + 1))


def added(start: date, working_days: int) -> date:
    day = start
    while working_days:
        day += timedelta(days=1)
        working_days -= chinese_calendar.is_workday(day)
    return day


async def create(registry: Registry, project_id: str, headers: dict[str, str] | None = None, **body: Any) -> Any:
    response = await registry.client.post(
        f"/v1/projects/{project_id}/approvals", json=factories.approval(**body), headers=headers or auth()
    )
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"/v1/approvals/{response.json()['id']}"
    return response.json()


async def move(registry: Registry, approval_id: str, action: str, status: int = 200, **body: Any) -> Any:
    response = await registry.client.post(
        f"/v1/approvals/{approval_id}/transitions", json={"action": action, **body}, headers=auth()
    )
    assert response.status_code == status, response.text
    return response.json()


async def read(registry: Registry, approval_id: str, headers: dict[str, str] | None = None) -> Any:
    response = await registry.client.get(f"/v1/approvals/{approval_id}", headers=headers or auth())
    assert response.status_code == 200, response.text
    return response.json()


async def run_job(registry: Registry, day: date) -> job.DailyResult:
    app = registry.app
    return await job.run_in(app.state.database, app.state.outbox, Rules.of(app.state.settings), day)


async def audit_actions(registry: Registry, approval_id: str) -> list[tuple[str, str]]:
    rows = await registry.rows(
        "SELECT action, actor FROM audit_log WHERE entity = 'approval' AND entity_id = :id", id=approval_id
    )
    return sorted((r.action, r.actor) for r in rows)


async def events(registry: Registry, event_type: str) -> list[dict[str, Any]]:
    table = OUTBOX.events
    rows = await registry.rows(sa.select(table.c.body).where(table.c.type == event_type).order_by(table.c.sequence))
    return [dict(json.loads(r.body)["data"]) for r in rows]

"""All SQL about who sees which event: exposure, the audience table and the event feed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.pagination import PageParams, by_time, keyset
from services.financing.models import (
    OUTBOX,
    CreditLine,
    EventAudience,
    ProjectRiskTier,
    WebhookEndpoint,
    WhitelistPush,
)

_EVENTS = OUTBOX.events


async def exposed_banks(session: AsyncSession, project_id: str) -> set[str]:
    """Banks the project's entries were pushed to, and banks holding a credit line on it."""
    pushed = sa.select(WhitelistPush.bank).where(WhitelistPush.project_id == project_id)
    lending = sa.select(CreditLine.bank).where(CreditLine.project_id == project_id)
    return set((await session.scalars(sa.union(pushed, lending))).all())


async def add_audience(
    session: AsyncSession, event_id: str, event_type: str, created_at: datetime, banks: Sequence[str]
) -> None:
    await session.execute(
        sa.insert(EventAudience),
        [{"event_id": event_id, "bank": b, "type": event_type, "created_at": created_at} for b in banks],
    )


async def subscribed_endpoints(session: AsyncSession, banks: Sequence[str], event_type: str) -> list[tuple[str, str]]:
    """(id, url) of the enabled endpoints of ``banks`` subscribed to ``event_type``."""
    stmt = sa.select(WebhookEndpoint.id, WebhookEndpoint.url, WebhookEndpoint.event_types).where(
        WebhookEndpoint.bank.in_(list(banks)), WebhookEndpoint.enabled.is_(True)
    )
    return [(row.id, row.url) for row in (await session.execute(stmt)).all() if event_type in row.event_types]


async def feed_page(
    session: AsyncSession,
    paging: PageParams,
    *,
    bank: str | None,
    types: Sequence[str] | None,
    since: datetime | None,
) -> list[Any]:
    """Events oldest first (id, body, created_at); only those ``bank`` may see when given."""
    at: Any
    key: Any
    type_column: Any
    if bank is None:
        stmt = sa.select(_EVENTS.c.id, _EVENTS.c.body, _EVENTS.c.created_at)
        at, key, type_column = _EVENTS.c.created_at, _EVENTS.c.id, _EVENTS.c.type
    else:
        stmt = (
            sa.select(_EVENTS.c.id, _EVENTS.c.body, EventAudience.created_at)
            .join(_EVENTS, _EVENTS.c.id == EventAudience.event_id)
            .where(EventAudience.bank == bank)
        )
        at, key, type_column = EventAudience.created_at, EventAudience.event_id, EventAudience.type
    if types:
        stmt = stmt.where(type_column.in_(list(types)))
    if since is not None:
        stmt = stmt.where(at >= since)
    return list((await session.execute(keyset(stmt, paging, *by_time(at, key, newest_first=False)))).all())


async def lock_known_tier(session: AsyncSession, project_id: str, tier: str) -> ProjectRiskTier:
    """The project's last forwarded tier, locked; a first sight of the project adds it at sequence -1."""
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(ProjectRiskTier)
    await session.execute(
        insert.values(
            project_id=project_id, tier=tier, risk_sequence=-1, updated_at=clock.now()
        ).on_conflict_do_nothing()
    )
    stmt = sa.select(ProjectRiskTier).where(ProjectRiskTier.project_id == project_id).with_for_update()
    return (await session.execute(stmt)).scalar_one()

"""The transactional outbox: events are written in the transaction of the change that caused them.

``Outbox.emit`` adds an event row and one delivery row per subscriber inside the caller's session, so the
event exists if and only if the change commits. The ``Dispatcher`` (see ``dispatcher.py``) delivers them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op
from sqlalchemy import MetaData
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.context import current_request_id
from services.common.db import UTCDateTime, new_id, utcnow
from services.common.settings import Subscriber


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"
    gone = "gone"
    held = "held"


@dataclass(frozen=True)
class OutboxTables:
    events: sa.Table
    sequences: sa.Table
    deliveries: sa.Table
    attempts: sa.Table
    inbox: sa.Table


def outbox_tables(metadata: MetaData) -> OutboxTables:
    """Declare the outbox and inbox tables on a service's metadata."""
    events = sa.Table(
        "outbox_events",
        metadata,
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("project_id", sa.String(36), nullable=True),
        sa.Column("sequence", sa.Integer, nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Index("ix_outbox_events_created_at_id", "created_at", "id"),
        sa.Index("ix_outbox_events_project_id", "project_id"),
    )
    sequences = sa.Table(
        "outbox_sequences",
        metadata,
        sa.Column("project_id", sa.String(36), primary_key=True),
        sa.Column("last", sa.Integer, nullable=False),
    )
    deliveries = sa.Table(
        "outbox_deliveries",
        metadata,
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("event_id", sa.String(36), sa.ForeignKey("outbox_events.id"), nullable=False),
        sa.Column("endpoint_id", sa.String(36), nullable=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, default=0),
        sa.Column("next_attempt_at", UTCDateTime, nullable=False),
        sa.Column("lease_until", UTCDateTime, nullable=True),
        sa.Column("last_status_code", sa.Integer, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Index("ix_outbox_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        sa.Index("ix_outbox_deliveries_endpoint_id_created_at", "endpoint_id", "created_at"),
        sa.Index("ix_outbox_deliveries_event_id", "event_id"),
    )
    attempts = sa.Table(
        "outbox_attempts",
        metadata,
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("delivery_id", sa.String(36), sa.ForeignKey("outbox_deliveries.id"), nullable=False),
        sa.Column("attempted_at", UTCDateTime, nullable=False),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("latency_ms", sa.Integer, nullable=False),
        sa.Column("response_excerpt", sa.String(512), nullable=True),
        sa.Column("error", sa.String(512), nullable=True),
        sa.Column("next_attempt_at", UTCDateTime, nullable=True),
        sa.Index("ix_outbox_attempts_delivery_id_attempted_at", "delivery_id", "attempted_at"),
    )
    inbox = sa.Table(
        "inbox_messages",
        metadata,
        sa.Column("webhook_id", sa.String(128), primary_key=True),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
    )
    return OutboxTables(events, sequences, deliveries, attempts, inbox)


def create_outbox_tables_op() -> None:
    """Alembic operations creating the outbox tables; every service's first migration calls this."""
    metadata = MetaData(naming_convention={"pk": "pk_%(table_name)s", "fk": "fk_%(table_name)s_%(column_0_name)s"})
    tables = outbox_tables(metadata)
    bind = op.get_bind()
    for table in (tables.events, tables.sequences, tables.deliveries, tables.attempts, tables.inbox):
        table.create(bind)


def drop_outbox_tables_op() -> None:
    for name in ("inbox_messages", "outbox_attempts", "outbox_deliveries", "outbox_sequences", "outbox_events"):
        op.drop_table(name)


@dataclass(frozen=True)
class Target:
    """Where one delivery goes: a peer's inbox (no endpoint id) or a registered endpoint."""

    url: str
    endpoint_id: str | None = None


@dataclass(frozen=True)
class EmittedEvent:
    id: str
    type: str
    project_id: str | None
    sequence: int | None
    envelope: dict[str, Any]
    created_at: datetime


Fanout = Callable[[AsyncSession, EmittedEvent], Awaitable[Sequence[Target]]]


def _insert(session: AsyncSession, table: sa.Table) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


class Outbox:
    """Writes events and their deliveries in the caller's transaction."""

    def __init__(self, tables: OutboxTables, subscribers: Sequence[Subscriber], fanout: Fanout | None = None) -> None:
        self.tables = tables
        self.subscribers = list(subscribers)
        self.fanout = fanout
        self.wake: Callable[[], None] | None = None

    async def next_sequence(self, session: AsyncSession, project_id: str) -> int:
        """The next per-project sequence number; the row lock orders concurrent writers."""
        seq = self.tables.sequences
        await session.execute(_insert(session, seq).values(project_id=project_id, last=0).on_conflict_do_nothing())
        result = await session.execute(
            sa.update(seq).where(seq.c.project_id == project_id).values(last=seq.c.last + 1).returning(seq.c.last)
        )
        return int(result.scalar_one())

    async def emit(
        self,
        session: AsyncSession,
        event_type: str,
        data: dict[str, Any],
        *,
        project_id: str | None = None,
    ) -> EmittedEvent:
        """Record an event and its deliveries; they become visible when the session commits."""
        now = utcnow()
        event_id = "msg_" + new_id().replace("-", "")
        sequence = await self.next_sequence(session, project_id) if project_id else None
        payload = dict(data)
        if project_id:
            payload["project_id"] = project_id
            payload["sequence"] = sequence
        envelope = {"type": str(event_type), "timestamp": now.isoformat().replace("+00:00", "Z"), "data": payload}
        await session.execute(
            sa.insert(self.tables.events).values(
                id=event_id,
                type=str(event_type),
                project_id=project_id,
                sequence=sequence,
                body=orjson.dumps(envelope).decode(),
                request_id=current_request_id(),
                created_at=now,
            )
        )
        event = EmittedEvent(event_id, str(event_type), project_id, sequence, envelope, now)
        targets = [Target(url=s.url) for s in self.subscribers if str(event_type) in s.types]
        if self.fanout is not None:
            targets.extend(await self.fanout(session, event))
        if targets:
            await self.add_deliveries(session, event_id, targets, now)
        return event

    async def add_deliveries(
        self, session: AsyncSession, event_id: str, targets: Sequence[Target], when: datetime
    ) -> None:
        await session.execute(
            sa.insert(self.tables.deliveries),
            [
                {
                    "id": new_id(),
                    "event_id": event_id,
                    "endpoint_id": t.endpoint_id,
                    "url": t.url,
                    "status": DeliveryStatus.pending,
                    "attempts": 0,
                    "next_attempt_at": when,
                    "lease_until": None,
                    "last_status_code": None,
                    "created_at": when,
                    "updated_at": when,
                }
                for t in targets
            ],
        )

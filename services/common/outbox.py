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

from services.common import bulk, clock
from services.common.context import current_request_id
from services.common.db import UTCDateTime, new_id
from services.common.settings import Subscriber


class DeliveryStatus(StrEnum):
    """Where a delivery stands: `pending` 待发送 (or retrying), `delivered` 已送达, `failed` 失败 (given up),
    `gone` 对方答复 410, `held` 暂停 (the endpoint is disabled or removed)."""

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
        # No longer written: a destination's answer is never kept (docs/security.md). Dropping the column is a
        # migration in each service, left for when the services' other pending migrations have landed.
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


# Rows per multi-row sequence upsert: two parameters each, well under every backend's parameter limit.
_SEQUENCE_CHUNK = 5_000


class Outbox:
    """Writes events and their deliveries in the caller's transaction."""

    def __init__(self, tables: OutboxTables, subscribers: Sequence[Subscriber], fanout: Fanout | None = None) -> None:
        self.tables = tables
        self.subscribers = list(subscribers)
        self.fanout = fanout

    async def emit(
        self,
        session: AsyncSession,
        event_type: str,
        data: dict[str, Any],
        *,
        project_id: str | None = None,
    ) -> EmittedEvent:
        """Record an event and its deliveries; they become visible when the session commits."""
        if project_id is None:
            return (await self._write(session, str(event_type), [(None, data)], {}))[0]
        return (await self.emit_many(session, event_type, [(project_id, data)]))[0]

    async def emit_many(
        self, session: AsyncSession, event_type: str, events: Sequence[tuple[str, dict[str, Any]]]
    ) -> list[EmittedEvent]:
        """Record one event per ``(project_id, data)``, at most one per project, with a few statements in all.

        A whole-ledger assessment may change thousands of tiers at once; this keeps that to one sequence upsert
        per chunk and one executemany each for events and deliveries.
        """
        if not events:
            return []
        sequences = await self._next_sequences(session, [project_id for project_id, _ in events])
        return await self._write(session, str(event_type), events, sequences)

    async def _next_sequences(self, session: AsyncSession, project_ids: Sequence[str]) -> dict[str, int]:
        """The next per-project sequence numbers; the upserted rows' locks order concurrent writers."""
        table = self.tables.sequences
        sequences: dict[str, int] = {}
        postgres = bulk.is_postgresql(session)
        for start in range(0, len(project_ids), _SEQUENCE_CHUNK):
            chunk = project_ids[start : start + _SEQUENCE_CHUNK]
            if postgres:
                # One array parameter instead of a VALUES list of thousands of rows.
                ids = sa.bindparam("ids", list(chunk), type_=postgresql.ARRAY(sa.String))
                insert = postgresql.insert(table).from_select(["project_id", "last"], sa.select(sa.func.unnest(ids), 1))
            else:
                insert = _insert(session, table).values([{"project_id": p, "last": 1} for p in chunk])
            statement = insert.on_conflict_do_update(
                index_elements=[table.c.project_id], set_={"last": table.c.last + 1}
            ).returning(table.c.project_id, table.c.last)
            sequences.update((row.project_id, int(row.last)) for row in await session.execute(statement))
        return sequences

    async def _write(
        self,
        session: AsyncSession,
        event_type: str,
        events: Sequence[tuple[str | None, dict[str, Any]]],
        sequences: dict[str, int],
    ) -> list[EmittedEvent]:
        now = clock.now()
        timestamp = now.isoformat().replace("+00:00", "Z")
        emitted: list[EmittedEvent] = []
        for project_id, data in events:
            payload = dict(data)
            sequence = sequences.get(project_id) if project_id else None
            if project_id:
                payload["project_id"] = project_id
                payload["sequence"] = sequence
            envelope = {"type": event_type, "timestamp": timestamp, "data": payload}
            event_id = "msg_" + new_id().replace("-", "")
            emitted.append(EmittedEvent(event_id, event_type, project_id, sequence, envelope, now))
        request_id = current_request_id()
        await bulk.insert_rows(
            session,
            self.tables.events,
            [
                {
                    "id": e.id,
                    "type": e.type,
                    "project_id": e.project_id,
                    "sequence": e.sequence,
                    "body": orjson.dumps(e.envelope).decode(),
                    "request_id": request_id,
                    "created_at": now,
                }
                for e in emitted
            ],
        )
        static = [Target(url=s.url) for s in self.subscribers if event_type in s.types]
        if self.fanout is None and len(emitted) >= bulk.COPY_MIN_ROWS and bulk.is_postgresql(session):
            await self._deliver_all(session, [e.id for e in emitted], static, now)
            return emitted
        rows: list[dict[str, Any]] = []
        for event in emitted:
            # The fan-out runs after the event rows exist: it may record, per event, who may see it.
            targets = [*static, *(await self.fanout(session, event) if self.fanout is not None else ())]
            rows.extend(delivery_row(event.id, target, now) for target in targets)
        await bulk.insert_rows(session, self.tables.deliveries, rows)
        return emitted

    async def _deliver_all(
        self, session: AsyncSession, event_ids: Sequence[str], targets: Sequence[Target], when: datetime
    ) -> None:
        """On PostgreSQL, the deliveries of many events to the same targets as one INSERT ... SELECT over the
        event ids crossed with the targets (the rows ``delivery_row`` gives, ids drawn by the database)."""
        if not targets:
            return
        table = self.tables.deliveries
        events = sa.func.unnest(sa.bindparam("events", list(event_ids), type_=postgresql.ARRAY(sa.String)))
        event = events.table_valued("event_id").render_derived(name="event")
        crossed = [
            sa.select(
                sa.cast(sa.func.gen_random_uuid(), sa.String),
                event.c.event_id,
                sa.literal(target.endpoint_id, sa.String),
                sa.literal(target.url, sa.String),
                sa.literal(DeliveryStatus.pending.value, sa.String),
                sa.literal(0, sa.Integer),
                sa.literal(when, UTCDateTime),
                sa.cast(sa.null(), table.c.lease_until.type),
                sa.cast(sa.null(), sa.Integer),
                sa.literal(when, UTCDateTime),
                sa.literal(when, UTCDateTime),
            ).select_from(event)
            for target in targets
        ]
        columns = ["id", "event_id", "endpoint_id", "url", "status", "attempts", "next_attempt_at"]
        columns += ["lease_until", "last_status_code", "created_at", "updated_at"]
        await session.execute(sa.insert(table).from_select(columns, sa.union_all(*crossed)))


def delivery_row(event_id: str, target: Target, when: datetime) -> dict[str, Any]:
    """A pending delivery of an event to a target, due at ``when``."""
    return {
        "id": new_id(),
        "event_id": event_id,
        "endpoint_id": target.endpoint_id,
        "url": target.url,
        "status": DeliveryStatus.pending,
        "attempts": 0,
        "next_attempt_at": when,
        "lease_until": None,
        "last_status_code": None,
        "created_at": when,
        "updated_at": when,
    }

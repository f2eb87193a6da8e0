"""``project.risk_tier_changed``: what risk tells its peers, written through the transactional outbox.

An assessment of the whole ledger may change thousands of tiers at once, so ``emit_many`` writes them with a
few statements per chunk (one upsert for the per-project sequences, one executemany each for events and
deliveries) instead of four statements per event; the rows are exactly those ``Outbox.emit`` writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.context import current_request_id
from services.common.db import new_id, utcnow
from services.common.events import EventType
from services.common.outbox import DeliveryStatus, Outbox

# Rows per multi-row sequence upsert: two parameters each, well under every backend's parameter limit.
_SEQUENCE_CHUNK = 5_000


def tier_changed_data(
    *,
    tier: str,
    previous_tier: str | None,
    assessment: dict[str, Any],
    override_id: str | None,
) -> dict[str, Any]:
    """The ``data`` of a ``project.risk_tier_changed`` event (``project_id`` and ``sequence`` are added on emit)."""
    return {
        "tier": tier,
        "previous_tier": previous_tier,
        "probability": assessment["probability"],
        "score": assessment["score"],
        "reason_codes": assessment["reason_codes"],
        "model_version": assessment["model_version"],
        "thresholds_version": assessment["thresholds_version"],
        "assessment_id": assessment["id"],
        "override_id": override_id,
    }


async def _next_sequences(session: AsyncSession, outbox: Outbox, project_ids: Sequence[str]) -> dict[str, int]:
    table = outbox.tables.sequences
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    sequences: dict[str, int] = {}
    for start in range(0, len(project_ids), _SEQUENCE_CHUNK):
        chunk = project_ids[start : start + _SEQUENCE_CHUNK]
        upsert = insert(table).values([{"project_id": p, "last": 1} for p in chunk])
        statement = upsert.on_conflict_do_update(
            index_elements=[table.c.project_id], set_={"last": table.c.last + 1}
        ).returning(table.c.project_id, table.c.last)
        sequences.update((row.project_id, int(row.last)) for row in await session.execute(statement))
    return sequences


async def emit_many(
    session: AsyncSession, outbox: Outbox, event_type: EventType, events: Sequence[tuple[str, dict[str, Any]]]
) -> None:
    """Record one event per ``(project_id, data)`` with its per-project sequence, and its deliveries.

    At most one event per project per call. Visible when the session commits, like ``Outbox.emit``.
    """
    if not events:
        return
    now = utcnow()
    timestamp = now.isoformat().replace("+00:00", "Z")
    request_id = current_request_id()
    sequences = await _next_sequences(session, outbox, [project_id for project_id, _ in events])
    urls = [s.url for s in outbox.subscribers if event_type.value in s.types]
    event_rows: list[dict[str, Any]] = []
    delivery_rows: list[dict[str, Any]] = []
    for project_id, data in events:
        event_id = "msg_" + new_id().replace("-", "")
        sequence = sequences[project_id]
        envelope = {
            "type": event_type.value,
            "timestamp": timestamp,
            "data": {**data, "project_id": project_id, "sequence": sequence},
        }
        event_rows.append(
            {
                "id": event_id,
                "type": event_type.value,
                "project_id": project_id,
                "sequence": sequence,
                "body": orjson.dumps(envelope).decode(),
                "request_id": request_id,
                "created_at": now,
            }
        )
        delivery_rows.extend(
            {
                "id": new_id(),
                "event_id": event_id,
                "endpoint_id": None,
                "url": url,
                "status": DeliveryStatus.pending,
                "attempts": 0,
                "next_attempt_at": now,
                "lease_until": None,
                "last_status_code": None,
                "created_at": now,
                "updated_at": now,
            }
            for url in urls
        )
    await session.execute(sa.insert(outbox.tables.events), event_rows)
    if delivery_rows:
        await session.execute(sa.insert(outbox.tables.deliveries), delivery_rows)

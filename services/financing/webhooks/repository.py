"""All SQL about webhook endpoints and their deliveries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.outbox import DeliveryStatus, Target, delivery_row
from services.common.pagination import PageParams, by_time, keyset
from services.financing.models import OUTBOX, Bank, EventAudience, WebhookEndpoint
from services.financing.webhooks.schemas import DisabledReason

_DELIVERIES = OUTBOX.deliveries
_ATTEMPTS = OUTBOX.attempts
_EVENTS = OUTBOX.events
# Deliveries that stopped without reaching the endpoint, which ``recover`` queues again.
_UNDELIVERED = (DeliveryStatus.failed, DeliveryStatus.gone, DeliveryStatus.held)
_INSERT_CHUNK = 1_000


async def get(session: AsyncSession, endpoint_id: str, *, for_update: bool = False) -> WebhookEndpoint | None:
    stmt = sa.select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def count_of_bank(session: AsyncSession, bank: str) -> int:
    """How many endpoints ``bank`` has, counted under a lock on the bank's row so that registrations racing
    each other count one after the other (SQLite's transactions are serialized already)."""
    await session.execute(sa.select(Bank.id).where(Bank.code == bank).with_for_update())
    stmt = sa.select(sa.func.count()).select_from(WebhookEndpoint).where(WebhookEndpoint.bank == bank)
    return int((await session.execute(stmt)).scalar_one())


async def page(session: AsyncSession, paging: PageParams, *, bank: str | None) -> list[WebhookEndpoint]:
    stmt = sa.select(WebhookEndpoint)
    if bank is not None:
        stmt = stmt.where(WebhookEndpoint.bank == bank)
    stmt = keyset(stmt, paging, *by_time(WebhookEndpoint.created_at, WebhookEndpoint.id))
    return list((await session.scalars(stmt)).all())


async def hold_pending(session: AsyncSession, endpoint_id: str, now: datetime) -> None:
    """Stop the endpoint's queued deliveries (a disabled or deleted endpoint); ``recover`` can queue them again."""
    await session.execute(
        sa.update(_DELIVERIES)
        .where(_DELIVERIES.c.endpoint_id == endpoint_id, _DELIVERIES.c.status == DeliveryStatus.pending)
        .values(status=DeliveryStatus.held, lease_until=None, updated_at=now)
    )


async def retarget_pending(session: AsyncSession, endpoint_id: str, url: str, now: datetime) -> None:
    """Send the endpoint's queued deliveries to its new URL."""
    await session.execute(
        sa.update(_DELIVERIES)
        .where(_DELIVERIES.c.endpoint_id == endpoint_id, _DELIVERIES.c.status == DeliveryStatus.pending)
        .values(url=url, updated_at=now)
    )


async def deliveries_page(
    session: AsyncSession, paging: PageParams, endpoint_id: str, status: DeliveryStatus | None
) -> list[Any]:
    """The endpoint's deliveries with their event's type, newest first."""
    stmt = (
        sa.select(
            _DELIVERIES.c.id,
            _DELIVERIES.c.event_id,
            _EVENTS.c.type.label("event_type"),
            _DELIVERIES.c.status,
            _DELIVERIES.c.next_attempt_at,
            _DELIVERIES.c.last_status_code,
            _DELIVERIES.c.created_at,
            _DELIVERIES.c.updated_at,
        )
        .join(_EVENTS, _EVENTS.c.id == _DELIVERIES.c.event_id)
        .where(_DELIVERIES.c.endpoint_id == endpoint_id)
    )
    if status is not None:
        stmt = stmt.where(_DELIVERIES.c.status == status)
    stmt = keyset(stmt, paging, *by_time(_DELIVERIES.c.created_at, _DELIVERIES.c.id))
    return list((await session.execute(stmt)).all())


async def attempts_of(session: AsyncSession, delivery_ids: Sequence[str]) -> dict[str, list[Any]]:
    """Each delivery's attempts, oldest first."""
    if not delivery_ids:
        return {}
    stmt = (
        sa.select(_ATTEMPTS)
        .where(_ATTEMPTS.c.delivery_id.in_(list(delivery_ids)))
        .order_by(_ATTEMPTS.c.attempted_at, _ATTEMPTS.c.id)
    )
    out: dict[str, list[Any]] = defaultdict(list)
    for row in (await session.execute(stmt)).all():
        out[row.delivery_id].append(row)
    return out


def _audience_since(endpoint: WebhookEndpoint, since: datetime) -> sa.Select[Any]:
    return sa.select(EventAudience.event_id).where(
        EventAudience.bank == endpoint.bank,
        EventAudience.created_at >= since,
        EventAudience.type.in_(list(endpoint.event_types)),
    )


async def requeue(session: AsyncSession, endpoint: WebhookEndpoint, since: datetime, now: datetime) -> int:
    """Queue again, now, every event since ``since`` the endpoint's bank may see and the endpoint subscribes to
    that has not reached it: stopped deliveries restart (their retry window too), queued ones move up, events
    it never had a delivery of get one. Every delivery keeps its event's id as ``webhook-id``. Returns how many
    deliveries were restarted or added."""
    events = _audience_since(endpoint, since)
    base = sa.update(_DELIVERIES).where(_DELIVERIES.c.endpoint_id == endpoint.id, _DELIVERIES.c.event_id.in_(events))
    restarted = await session.execute(
        base.where(_DELIVERIES.c.status.in_(_UNDELIVERED)).values(
            status=DeliveryStatus.pending,
            attempts=0,
            url=endpoint.url,
            next_attempt_at=now,
            lease_until=None,
            created_at=now,
            updated_at=now,
        )
    )
    await session.execute(
        base.where(_DELIVERIES.c.status == DeliveryStatus.pending).values(url=endpoint.url, next_attempt_at=now)
    )
    has_delivery = (
        sa.select(_DELIVERIES.c.id)
        .where(_DELIVERIES.c.endpoint_id == endpoint.id, _DELIVERIES.c.event_id == EventAudience.event_id)
        .exists()
    )
    missing = list((await session.scalars(events.where(~has_delivery).order_by(EventAudience.created_at))).all())
    for start in range(0, len(missing), _INSERT_CHUNK):
        await session.execute(
            sa.insert(_DELIVERIES),
            [
                delivery_row(event_id, Target(url=endpoint.url, endpoint_id=endpoint.id), now)
                for event_id in missing[start : start + _INSERT_CHUNK]
            ],
        )
    return int(restarted.rowcount or 0) + len(missing)  # type: ignore[attr-defined]


async def signing_rows(session: AsyncSession, endpoint_ids: Collection[str]) -> list[Any]:
    stmt = sa.select(
        WebhookEndpoint.id,
        WebhookEndpoint.bank,
        WebhookEndpoint.enabled,
        WebhookEndpoint.secret,
        WebhookEndpoint.retired_secrets,
        WebhookEndpoint.rate_limit_per_second,
    ).where(WebhookEndpoint.id.in_(list(endpoint_ids)))
    return list((await session.execute(stmt)).all())


async def mark_succeeding(session: AsyncSession, endpoint_ids: Collection[str]) -> None:
    await session.execute(
        sa.update(WebhookEndpoint)
        .where(WebhookEndpoint.id.in_(list(endpoint_ids)), WebhookEndpoint.failing_since.is_not(None))
        .values(failing_since=None)
    )


async def mark_failing(session: AsyncSession, first_failures: dict[str, datetime]) -> None:
    """Start the failure streak of endpoints not failing yet."""
    for endpoint_id, at in first_failures.items():
        await session.execute(
            sa.update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.failing_since.is_(None))
            .values(failing_since=at)
        )


async def disable(
    session: AsyncSession,
    endpoint_ids: Collection[str],
    reason: DisabledReason,
    now: datetime,
    *,
    failing_for: timedelta | None = None,
) -> None:
    """Disable the enabled ones of ``endpoint_ids`` (only those failing for ``failing_for`` when given), and
    hold what is queued for them."""
    stmt = sa.update(WebhookEndpoint).where(
        WebhookEndpoint.id.in_(list(endpoint_ids)), WebhookEndpoint.enabled.is_(True)
    )
    if failing_for is not None:
        stmt = stmt.where(WebhookEndpoint.failing_since <= now - failing_for)
    stmt = stmt.values(enabled=False, disabled_reason=reason.value, disabled_at=now, updated_at=now)
    disabled = list((await session.scalars(stmt.returning(WebhookEndpoint.id))).all())
    for endpoint_id in disabled:
        await hold_pending(session, endpoint_id, now)

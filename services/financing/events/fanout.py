"""Which banks see an event, and which of their endpoints receive it: the outbox's fan-out for financing."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.outbox import EmittedEvent, Target
from services.financing.events import repository
from services.financing.events.catalog import BANK_OWN, PAYING_BANK, PROJECT_WIDE, WebhookEventType


async def audience(session: AsyncSession, event: EmittedEvent) -> list[str]:
    """The banks that may see ``event``: its own bank, its program's paying bank, or every bank exposed to its
    project."""
    try:
        event_type = WebhookEventType(event.type)
    except ValueError:
        return []
    if event_type in BANK_OWN:
        return [str(event.envelope["data"]["bank"])]
    if event_type in PAYING_BANK:
        paying_bank = event.envelope["data"]["paying_bank"]
        return [str(paying_bank)] if paying_bank else []
    if event_type in PROJECT_WIDE and event.project_id:
        return sorted(await repository.exposed_banks(session, event.project_id))
    return []


async def fanout(session: AsyncSession, event: EmittedEvent) -> Sequence[Target]:
    """Record the event's audience (for the feed and ``recover``) and target the audience's enabled endpoints
    subscribed to its type. Runs inside ``Outbox.emit``, in the transaction of the change."""
    banks = await audience(session, event)
    if not banks:
        return []
    await repository.add_audience(session, event.id, event.type, event.created_at, banks)
    endpoints = await repository.subscribed_endpoints(session, banks, event.type)
    return [Target(url=url, endpoint_id=endpoint_id) for endpoint_id, url in endpoints]

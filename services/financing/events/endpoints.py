"""``GET /v1/events``: the events a caller may see, oldest first, over the whole retention (for reconciling)."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query

from services.common.days import Instant
from services.common.deps import Paging, Session
from services.common.pagination import cut
from services.common.problems import problem_responses
from services.financing.events import repository
from services.financing.events.catalog import WebhookEventType
from services.financing.events.schemas import EventPage, event_read
from services.financing.scope import EventReader, bank_scope

router = APIRouter(prefix="/v1/events", tags=["events"])


@router.get(
    "",
    operation_id="listEvents",
    response_model=EventPage,
    summary="The event feed, oldest first: a bank sees the events sent (or that would be sent) to it",
    description="Every event is kept, so a bank can page through all it may see and compare with what it "
    "received. Events are ordered by creation time, and a change that commits late can place its event before "
    "ones already read: to follow the feed, ask again from a little before the last `timestamp` seen (`since`) "
    "and drop the ids seen already, or order by each project's `sequence`.",
    responses=problem_responses(400),
)
async def list_events(
    principal: EventReader,
    session: Session,
    paging: Paging,
    type: Annotated[list[WebhookEventType] | None, Query(description="Only these types (repeatable).")] = None,
    since: Annotated[Instant | None, Query(description="Only events created at or after this time.")] = None,
) -> EventPage:
    rows = await repository.feed_page(
        session, paging, bank=bank_scope(principal), types=[t.value for t in type] if type else None, since=since
    )
    items, next_cursor = cut(rows, paging, lambda row: (row.created_at, row.id))
    return EventPage(items=[event_read(row.id, orjson.loads(row.body)) for row in items], next_cursor=next_cursor)

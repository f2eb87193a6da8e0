"""``POST /v1/inbox``: where a service receives its peers' events, verified and applied once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from services.common import clock
from services.common.apidoc import PEER_ONLY, PEER_TAG
from services.common.db import unit_of_work
from services.common.outbox import Outbox, OutboxTables
from services.common.problems import ProblemError, problem_responses

log = logging.getLogger("handover.inbox")

# A handler applies one verified event's data in the inbox's transaction; it gets the service's outbox for the
# events it causes (never the HTTP request).
EventHandler = Callable[[AsyncSession, dict[str, Any], Outbox], Awaitable[None]]


class InboxAck(BaseModel):
    status: str
    webhook_id: str


_ENVELOPE_SCHEMA = {
    "type": "object",
    "required": ["type", "timestamp", "data"],
    "properties": {
        "type": {"type": "string"},
        "timestamp": {"type": "string", "format": "date-time"},
        "data": {"type": "object"},
    },
}


_SIGNATURE_HEADERS = {
    "Webhook-Id": "The event's id: a repeat with the same id is acknowledged and not applied again.",
    "Webhook-Timestamp": "Seconds since the epoch when the event was signed.",
    "Webhook-Signature": "`v1,<base64 HMAC-SHA256>` over `id.timestamp.body` with the events secret.",
}


def inbox_router(tables: OutboxTables, handlers: Mapping[str, EventHandler]) -> APIRouter:
    """A router receiving Standard Webhooks signed with ``HANDOVER_EVENTS_SECRET``; idempotent on webhook-id."""
    router = APIRouter(tags=[PEER_TAG])

    @router.post(
        "/v1/inbox",
        operation_id="receiveEvent",
        description=(
            "Peer services only: a Standard Webhooks POST signed with the shared events secret (no bearer"
            " token). Idempotent on `Webhook-Id`: a repeat answers `duplicate` and changes nothing."
        ),
        summary="Receive a signed event from a peer service",
        response_model=InboxAck,
        responses=problem_responses(400, 401, 422),
        openapi_extra={
            **PEER_ONLY,
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ENVELOPE_SCHEMA}}},
            "parameters": [
                {"name": name, "in": "header", "required": True, "schema": {"type": "string"}, "description": text}
                for name, text in _SIGNATURE_HEADERS.items()
            ],
        },
    )
    async def receive(
        request: Request, session: Annotated[AsyncSession, Depends(unit_of_work, scope="function")]
    ) -> InboxAck:
        body = await request.body()
        try:
            envelope = Webhook(request.app.state.settings.events_secret).verify(body, dict(request.headers))
        except (WebhookVerificationError, ValueError) as exc:
            raise ProblemError(401, f"The event's signature does not verify: {exc}", slug="bad-signature") from exc
        webhook_id = request.headers["webhook-id"][:128]
        if not isinstance(envelope, dict) or not isinstance(envelope.get("data"), dict):
            raise ProblemError(422, "The event has no data object.", slug="bad-event")
        event_type = str(envelope.get("type"))
        inbox = tables.inbox
        seen = await session.scalar(sa.select(inbox.c.webhook_id).where(inbox.c.webhook_id == webhook_id))
        if seen:
            return InboxAck(status="duplicate", webhook_id=webhook_id)
        await session.execute(sa.insert(inbox).values(webhook_id=webhook_id, type=event_type, received_at=clock.now()))
        handler = handlers.get(event_type)
        if handler is None:
            log.info("ignored event of type %s", event_type)
            return InboxAck(status="ignored", webhook_id=webhook_id)
        await handler(session, envelope["data"], request.app.state.outbox)
        return InboxAck(status="applied", webhook_id=webhook_id)

    return router

"""Events signed as a peer's dispatcher signs them (Standard Webhooks), for posting to a service's inbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from standardwebhooks import Webhook

from services.common import clock
from services.common.db import new_id
from services.common.settings import DEV_EVENTS_SECRET

# A secret of the right form that no service is configured with: what a forger would sign with.
FORGED_SECRET = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="


@dataclass(frozen=True)
class SignedEvent:
    """A request body and its ``webhook-*`` headers; ``kwargs`` spreads into ``client.post``."""

    webhook_id: str
    body: bytes
    headers: dict[str, str]

    @property
    def kwargs(self) -> dict[str, Any]:
        return {"content": self.body, "headers": self.headers}


def signed_event(
    event_type: str,
    data: dict[str, Any],
    *,
    secret: str = DEV_EVENTS_SECRET,
    webhook_id: str | None = None,
    at: datetime | None = None,
) -> SignedEvent:
    """An event envelope signed with ``secret`` at ``at`` (default: now), as a peer would deliver it."""
    webhook_id = webhook_id or f"msg_{new_id().replace('-', '')}"
    at = at or clock.now()
    body = orjson.dumps({"type": event_type, "timestamp": at.isoformat(), "data": data})
    headers = {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, at, body.decode()),
        "content-type": "application/json",
    }
    return SignedEvent(webhook_id, body, headers)

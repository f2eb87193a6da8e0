"""The event feed as the API shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class EventRead(BaseModel):
    """An event exactly as its webhook carries it, with its ``webhook-id`` as ``id``."""

    id: str = Field(description="The `webhook-id` its deliveries carry.")
    type: str
    timestamp: datetime
    data: dict[str, Any] = Field(description="With `project_id` and the per-project `sequence`.")

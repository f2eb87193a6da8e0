"""What the audit log shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    at: datetime
    actor: str
    actor_role: str
    entity: str
    entity_id: str
    project_id: str | None
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None

"""The audit log as the API shows it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEntity(StrEnum):
    """What an audit entry is about: `fund_program` 专项资金项目, `fund_target` 年度目标, `fund_allocation`
    资金分配, `fund_payment` 资金支付, `fund_payment_refusal` 被拒绝的支付."""

    fund_program = "fund_program"
    fund_target = "fund_target"
    fund_allocation = "fund_allocation"
    fund_payment = "fund_payment"
    fund_payment_refusal = "fund_payment_refusal"


class AuditAction(StrEnum):
    """What was done: `created` 新增, `updated` 修改, `reversed` 冲正, `refused` 拒绝."""

    created = "created"
    updated = "updated"
    reversed = "reversed"
    refused = "refused"


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    at: datetime
    actor: str
    actor_role: str
    entity: AuditEntity
    entity_id: str
    project_id: str | None
    action: AuditAction
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None

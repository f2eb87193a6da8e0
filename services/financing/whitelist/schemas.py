"""Whitelist entries, their transitions and the banks' decisions, as the API shows them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.common.days import Day
from services.common.money import MoneyRead, PositiveMoney
from services.financing.banks.schemas import BankCode
from services.financing.credit_lines.schemas import CreditLineKind
from services.financing.whitelist.status import Action, EntryStatus

ProjectId = Annotated[
    str,
    Field(
        min_length=36,
        max_length=36,
        pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        description="A registry project's id (a UUID).",
    ),
]
Note = Annotated[str, Field(min_length=1, max_length=2000)]


class Category(StrEnum):
    """The whitelist's two kinds of project: `normal` 正常开发建设, `temporary_difficulty` 暂时困难但资金基本平衡."""

    normal = "normal"  # 正常开发建设
    temporary_difficulty = "temporary_difficulty"  # 暂时困难但资金基本平衡


class RemovalReason(StrEnum):
    """Why the city takes a project off the whitelist: `no_financing_need` 无融资需求,
    `bankruptcy_or_restructuring` 破产或重组, `assets_seized_or_frozen` 资产被查封冻结, `serious_violation`
    严重违法违规, `other` 其他 (with a note)."""

    no_financing_need = "no_financing_need"
    bankruptcy_or_restructuring = "bankruptcy_or_restructuring"
    assets_seized_or_frozen = "assets_seized_or_frozen"
    serious_violation = "serious_violation"
    other = "other"


class Decision(StrEnum):
    """A bank's answer to a pushed entry (推送—反馈): `approve` 同意授信 (opens a credit line), `decline` 不予授信
    (with a reason)."""

    approve = "approve"
    decline = "decline"


class EntryCreate(BaseModel):
    """A nomination of a registry project to the whitelist."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "project_id": "0b5f8a3e-3c2d-4f6a-9d1e-7a8b9c0d1e2f",
                    "category": "temporary_difficulty",
                    "requested_amount": "80000000.00",
                    "note": "续建资金缺口",
                }
            ]
        },
    )

    project_id: ProjectId
    category: Category
    requested_amount: PositiveMoney = Field(description="Credit the project asks for, in yuan.")
    note: Note | None = None


class TransitionCreate(BaseModel):
    """One step of the lifecycle. ``banks`` goes with `push`, ``reason`` with `remove` (``note`` too when the
    reason is `other`), ``note`` with `return_for_rectification` (what to rectify); `resubmit` may change
    ``category`` and ``requested_amount``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"action": "push", "banks": ["ICBC-HZ"]}, {"action": "remove", "reason": "no_financing_need"}]
        },
    )

    action: Action
    banks: Annotated[list[BankCode], Field(min_length=1, max_length=50)] | None = None
    reason: RemovalReason | None = None
    note: Note | None = None
    category: Category | None = None
    requested_amount: PositiveMoney | None = None


class PushRead(BaseModel):
    bank: str
    pushed_at: datetime
    decision: Decision | None = Field(None, description="The bank's answer, once it gave one.")


class EntryRead(BaseModel):
    """A whitelist entry. A bank sees only its own push in ``pushes``."""

    id: str
    project_id: str
    project_code: str
    project_name: str
    district: str
    category: Category
    requested_amount: MoneyRead
    status: EntryStatus
    note: str | None
    removal_reason: RemovalReason | None
    pushes: list[PushRead]
    created_at: datetime
    updated_at: datetime


class TransitionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    action: Action | None = Field(description="None for the nomination itself.")
    from_status: EntryStatus | None
    to_status: EntryStatus
    banks: list[str] | None
    reason: RemovalReason | None
    note: str | None
    actor: str
    actor_role: str
    at: datetime


class DecisionCreate(BaseModel):
    """A pushed bank's answer: `approve` with ``amount`` (and optionally ``kind``, ``approved_on``,
    ``maturity_date``), which opens a credit line; or `decline` with a ``reason``. A city admin recording a
    bank's answer names the ``bank``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "decision": "approve",
                    "amount": "60000000.00",
                    "kind": "development_loan",
                    "maturity_date": "2029-06-30",
                },
                {"decision": "decline", "reason": "项目资金无法平衡"},
            ]
        },
    )

    decision: Decision
    bank: BankCode | None = None
    amount: PositiveMoney | None = None
    kind: CreditLineKind | None = None
    approved_on: Day | None = None
    maturity_date: Day | None = None
    reason: Annotated[str, Field(min_length=1, max_length=1000)] | None = None


class DecisionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    entry_id: str
    project_id: str
    district: str
    bank: str
    decision: Decision
    reason: str | None
    credit_line_id: str | None
    decided_by: str
    decided_at: datetime

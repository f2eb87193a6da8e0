"""The events financing sends to banks: their types, payloads, who may see each, and their OpenAPI ``webhooks``.

Every payload is built from the models here, and the ``webhooks`` section of the OpenAPI document is generated
from the same models, so the documentation and what banks receive cannot drift apart.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from services.common.events import EventType
from services.common.money import Money
from services.financing.credit_lines.schemas import CreditLineKind
from services.financing.funds.programs.schemas import FundSource, FundUse
from services.financing.whitelist.schemas import Category, Decision, RemovalReason


class WebhookEventType(StrEnum):
    """The event types a bank endpoint may subscribe to: `whitelist.entry_pushed` 白名单推送,
    `whitelist.entry_removed` 移出白名单, `whitelist.bank_decision_recorded` 银行反馈已记录,
    `credit_line.approved` 授信, `disbursement.recorded` 放款, `disbursement.reversed` 放款冲正,
    `project.risk_tier_changed` 风险等级变化, `fund.allocated` 专项资金下达到项目, `fund.payment_recorded`
    专项资金支付, `fund.payment_reversed` 专项资金支付冲正."""

    whitelist_entry_pushed = EventType.whitelist_entry_pushed.value
    whitelist_entry_removed = EventType.whitelist_entry_removed.value
    whitelist_bank_decision_recorded = EventType.whitelist_bank_decision_recorded.value
    credit_line_approved = EventType.credit_line_approved.value
    disbursement_recorded = EventType.disbursement_recorded.value
    disbursement_reversed = EventType.disbursement_reversed.value
    project_risk_tier_changed = EventType.project_risk_tier_changed.value
    fund_allocated = EventType.fund_allocated.value
    fund_payment_recorded = EventType.fund_payment_recorded.value
    fund_payment_reversed = EventType.fund_payment_reversed.value


# Events about one bank's own business go to that bank alone (its ``bank`` field); events about the project go
# to every bank exposed to it: an entry of the project pushed to it, or a credit line of its on the project.
BANK_OWN = frozenset(
    {
        WebhookEventType.whitelist_entry_pushed,
        WebhookEventType.whitelist_bank_decision_recorded,
        WebhookEventType.credit_line_approved,
        WebhookEventType.disbursement_recorded,
        WebhookEventType.disbursement_reversed,
    }
)
PROJECT_WIDE = frozenset({WebhookEventType.whitelist_entry_removed, WebhookEventType.project_risk_tier_changed})
# Policy-fund events go to the program's paying bank (their ``paying_bank`` field), and to no bank without one.
PAYING_BANK = frozenset(
    {
        WebhookEventType.fund_allocated,
        WebhookEventType.fund_payment_recorded,
        WebhookEventType.fund_payment_reversed,
    }
)


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EntryPushed(_Payload):
    entry_id: str
    bank: str = Field(description="The bank the entry was pushed to: the receiver.")
    project_code: str
    project_name: str
    district: str
    category: Category
    requested_amount: Money
    pushed_at: datetime


class EntryRemoved(_Payload):
    entry_id: str
    reason: RemovalReason
    removed_at: datetime


class BankDecisionRecorded(_Payload):
    decision_id: str
    entry_id: str
    bank: str
    decision: Decision
    reason: str | None = Field(description="Why the bank declined; null for an approval.")
    credit_line_id: str | None = Field(description="The credit line an approval opened.")
    decided_at: datetime


class CreditLineApproved(_Payload):
    credit_line_id: str
    bank: str
    kind: CreditLineKind
    approved_amount: Money
    approved_on: date
    maturity_date: date | None
    entry_id: str | None


class DisbursementRecorded(_Payload):
    disbursement_id: str
    credit_line_id: str
    bank: str
    amount: Money
    disbursed_on: date
    purpose: str
    line_disbursed_amount: Money = Field(description="The line's disbursed total after this disbursement.")
    line_available_amount: Money


class DisbursementReversed(_Payload):
    disbursement_id: str
    credit_line_id: str
    bank: str
    amount: Money
    reason: str
    reversed_at: datetime
    line_disbursed_amount: Money = Field(description="The line's disbursed total after the reversal.")
    line_available_amount: Money


class FundAllocated(_Payload):
    allocation_id: str
    program_id: str
    program_name: str
    source: FundSource
    paying_bank: str | None = Field(description="The program's paying bank, which receives the event; or null.")
    district: str
    amount: Money
    allocated_on: date
    program_allocated_amount: Money = Field(description="The program's allocated total after this allocation.")
    program_unallocated_amount: Money


class FundPaymentRecorded(_Payload):
    payment_id: str
    allocation_id: str
    program_id: str
    paying_bank: str | None = Field(description="The program's paying bank, which receives the event; or null.")
    amount: Money
    paid_on: date
    use: FundUse
    payee_name: str
    payee_credit_code: str
    liability_incurred_on: date
    allocation_paid_amount: Money = Field(description="The allocation's paid total after this payment.")
    allocation_unspent_amount: Money


class FundPaymentReversed(_Payload):
    payment_id: str
    allocation_id: str
    program_id: str
    paying_bank: str | None = Field(description="The program's paying bank, which receives the event; or null.")
    amount: Money
    reason: str
    reversed_at: datetime
    allocation_paid_amount: Money = Field(description="The allocation's paid total after the reversal.")
    allocation_unspent_amount: Money


class ReasonCode(BaseModel):
    code: str
    zh: str
    en: str


class RiskTier(StrEnum):
    """A risk tier (风险等级), from highest to lowest: `red` 红, `orange` 橙, `yellow` 黄, `green` 绿."""

    red = "red"
    orange = "orange"
    yellow = "yellow"
    green = "green"


class RiskTierChanged(_Payload):
    tier: RiskTier
    previous_tier: RiskTier | None
    score: int | None = None
    probability: float | None = None
    reason_codes: list[ReasonCode] = Field(default_factory=list)
    model_version: str | None = None
    thresholds_version: str | None = None
    risk_sequence: int = Field(description="The risk service's own per-project sequence of the change.")


class _Sequenced(BaseModel):
    project_id: str
    sequence: int = Field(ge=1, description="Increases with each event of the project: order by it, drop stale.")


class EntryPushedData(EntryPushed, _Sequenced):
    pass


class EntryRemovedData(EntryRemoved, _Sequenced):
    pass


class BankDecisionRecordedData(BankDecisionRecorded, _Sequenced):
    pass


class CreditLineApprovedData(CreditLineApproved, _Sequenced):
    pass


class DisbursementRecordedData(DisbursementRecorded, _Sequenced):
    pass


class DisbursementReversedData(DisbursementReversed, _Sequenced):
    pass


class RiskTierChangedData(RiskTierChanged, _Sequenced):
    pass


class FundAllocatedData(FundAllocated, _Sequenced):
    pass


class FundPaymentRecordedData(FundPaymentRecorded, _Sequenced):
    pass


class FundPaymentReversedData(FundPaymentReversed, _Sequenced):
    pass


class _Envelope(BaseModel):
    timestamp: datetime


class EntryPushedEvent(_Envelope):
    type: Literal["whitelist.entry_pushed"]
    data: EntryPushedData


class EntryRemovedEvent(_Envelope):
    type: Literal["whitelist.entry_removed"]
    data: EntryRemovedData


class BankDecisionRecordedEvent(_Envelope):
    type: Literal["whitelist.bank_decision_recorded"]
    data: BankDecisionRecordedData


class CreditLineApprovedEvent(_Envelope):
    type: Literal["credit_line.approved"]
    data: CreditLineApprovedData


class DisbursementRecordedEvent(_Envelope):
    type: Literal["disbursement.recorded"]
    data: DisbursementRecordedData


class DisbursementReversedEvent(_Envelope):
    type: Literal["disbursement.reversed"]
    data: DisbursementReversedData


class RiskTierChangedEvent(_Envelope):
    type: Literal["project.risk_tier_changed"]
    data: RiskTierChangedData


class FundAllocatedEvent(_Envelope):
    type: Literal["fund.allocated"]
    data: FundAllocatedData


class FundPaymentRecordedEvent(_Envelope):
    type: Literal["fund.payment_recorded"]
    data: FundPaymentRecordedData


class FundPaymentReversedEvent(_Envelope):
    type: Literal["fund.payment_reversed"]
    data: FundPaymentReversedData


ENVELOPES: dict[WebhookEventType, type[_Envelope]] = {
    WebhookEventType.whitelist_entry_pushed: EntryPushedEvent,
    WebhookEventType.whitelist_entry_removed: EntryRemovedEvent,
    WebhookEventType.whitelist_bank_decision_recorded: BankDecisionRecordedEvent,
    WebhookEventType.credit_line_approved: CreditLineApprovedEvent,
    WebhookEventType.disbursement_recorded: DisbursementRecordedEvent,
    WebhookEventType.disbursement_reversed: DisbursementReversedEvent,
    WebhookEventType.project_risk_tier_changed: RiskTierChangedEvent,
    WebhookEventType.fund_allocated: FundAllocatedEvent,
    WebhookEventType.fund_payment_recorded: FundPaymentRecordedEvent,
    WebhookEventType.fund_payment_reversed: FundPaymentReversedEvent,
}


def payload(model: _Payload) -> dict[str, Any]:
    """The ``data`` of an event as it is stored and sent (``project_id`` and ``sequence`` are added on emit)."""
    return model.model_dump(mode="json")


_HEADERS: dict[str, Any] = {
    "parameters": [
        {
            "name": "Webhook-Id",
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
            "description": "The event's id: the same on every retry, so receivers can drop duplicates.",
        },
        {
            "name": "Webhook-Timestamp",
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
            "description": "Seconds since the epoch when this attempt was signed.",
        },
        {
            "name": "Webhook-Signature",
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
            "description": "Space-separated `v1,<base64 HMAC-SHA256>` over `id.timestamp.body`, one per secret in "
            "force (two during a rotation's overlap); verify with any Standard Webhooks library.",
        },
        {
            "name": "X-Request-ID",
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
            "description": "The id of the request that caused the event.",
        },
    ]
}
_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "Any 2xx acknowledges the event."},
    410: {"description": "Gone: the endpoint is disabled and receives nothing more until re-enabled."},
    429: {"description": "Retried later; a `Retry-After` header is honoured. Other answers are retried too."},
}

webhooks = APIRouter(tags=["webhooks"])


@webhooks.post(
    WebhookEventType.whitelist_entry_pushed.value,
    operation_id="receiveWhitelistEntryPushed",
    summary="An entry was pushed to your bank",
    responses=_ANSWERS,
    openapi_extra=_HEADERS,
)
async def whitelist_entry_pushed(event: EntryPushedEvent) -> None:
    """The city pushed a whitelisted project to your bank; answer with a decision at
    `POST /v1/whitelist/{entry_id}/bank-decisions`."""


@webhooks.post(
    WebhookEventType.whitelist_entry_removed.value,
    operation_id="receiveWhitelistEntryRemoved",
    summary="A project you are exposed to left the whitelist",
    responses=_ANSWERS,
    openapi_extra=_HEADERS,
)
async def whitelist_entry_removed(event: EntryRemovedEvent) -> None:
    """Sent to every bank the entry was pushed to or holding a credit line on the project."""


@webhooks.post(
    WebhookEventType.whitelist_bank_decision_recorded.value,
    operation_id="receiveBankDecisionRecorded",
    summary="Your bank's decision on an entry was recorded",
    responses=_ANSWERS,
    openapi_extra=_HEADERS,
)
async def whitelist_bank_decision_recorded(event: BankDecisionRecordedEvent) -> None:
    """Also when a city admin records it for your bank."""


@webhooks.post(
    WebhookEventType.credit_line_approved.value,
    operation_id="receiveCreditLineApproved",
    summary="A credit line of your bank was opened",
    responses=_ANSWERS,
    openapi_extra=_HEADERS,
)
async def credit_line_approved(event: CreditLineApprovedEvent) -> None:
    """By an approval on a whitelist entry or directly."""


@webhooks.post(
    WebhookEventType.disbursement_recorded.value,
    operation_id="receiveDisbursementRecorded",
    summary="A disbursement on your credit line was recorded",
    responses=_ANSWERS,
    openapi_extra=_HEADERS,
)
async def disbursement_recorded(event: DisbursementRecordedEvent) -> None:
    """Carries the line's totals after the disbursement."""


@webhooks.post(
    WebhookEventType.disbursement_reversed.value,
    operation_id="receiveDisbursementReversed",
    summary="A disbursement on your credit line was reversed",
    responses=_ANSWERS,
    openapi_extra=_HEADERS,
)
async def disbursement_reversed(event: DisbursementReversedEvent) -> None:
    """Carries the reason and the line's totals after the reversal."""


@webhooks.post(
    WebhookEventType.project_risk_tier_changed.value,
    operation_id="receiveProjectRiskTierChanged",
    summary="The risk tier of a project you are exposed to changed",
    responses=_ANSWERS,
    openapi_extra=_HEADERS,
)
async def project_risk_tier_changed(event: RiskTierChangedEvent) -> None:
    """Forwarded from the risk service to every bank the project's entry was pushed to or holding a credit
    line on it. ``sequence`` is financing's; ``risk_sequence`` the risk service's."""


@webhooks.post(
    WebhookEventType.fund_allocated.value,
    operation_id="receiveFundAllocated",
    summary="Money of a program your bank pays out was allocated to a project",
    responses=_ANSWERS,
    openapi_extra=_HEADERS,
)
async def fund_allocated(event: FundAllocatedEvent) -> None:
    """Sent to the program's paying bank only. Carries the program's totals after the allocation."""


@webhooks.post(
    WebhookEventType.fund_payment_recorded.value,
    operation_id="receiveFundPaymentRecorded",
    summary="A payment out of a program your bank pays out was recorded",
    responses=_ANSWERS,
    openapi_extra=_HEADERS,
)
async def fund_payment_recorded(event: FundPaymentRecordedEvent) -> None:
    """Sent to the program's paying bank only. Carries the payee and the allocation's totals after the payment."""


@webhooks.post(
    WebhookEventType.fund_payment_reversed.value,
    operation_id="receiveFundPaymentReversed",
    summary="A payment out of a program your bank pays out was reversed",
    responses=_ANSWERS,
    openapi_extra=_HEADERS,
)
async def fund_payment_reversed(event: FundPaymentReversedEvent) -> None:
    """Sent to the program's paying bank only. Carries the reason and the allocation's totals after it."""

"""The event feed as the API shows it: each event exactly as its webhook carries it, with its id."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, TypeAdapter

from services.financing.events.catalog import (
    BankDecisionRecordedEvent,
    CreditLineApprovedEvent,
    DisbursementRecordedEvent,
    DisbursementReversedEvent,
    EntryPushedEvent,
    EntryRemovedEvent,
    FundAllocatedEvent,
    FundPaymentRecordedEvent,
    FundPaymentReversedEvent,
    RiskTierChangedEvent,
)

_ID = Field(pattern=r"^msg_[0-9a-f]{32}$", description="The `Webhook-Id` its deliveries carry.")


class EntryPushedFeedEvent(EntryPushedEvent):
    id: str = _ID


class EntryRemovedFeedEvent(EntryRemovedEvent):
    id: str = _ID


class BankDecisionRecordedFeedEvent(BankDecisionRecordedEvent):
    id: str = _ID


class CreditLineApprovedFeedEvent(CreditLineApprovedEvent):
    id: str = _ID


class DisbursementRecordedFeedEvent(DisbursementRecordedEvent):
    id: str = _ID


class DisbursementReversedFeedEvent(DisbursementReversedEvent):
    id: str = _ID


class RiskTierChangedFeedEvent(RiskTierChangedEvent):
    id: str = _ID


class FundAllocatedFeedEvent(FundAllocatedEvent):
    id: str = _ID


class FundPaymentRecordedFeedEvent(FundPaymentRecordedEvent):
    id: str = _ID


class FundPaymentReversedFeedEvent(FundPaymentReversedEvent):
    id: str = _ID


# One of the webhooks' payloads, told apart by ``type``: a generated client narrows ``data`` by switching on it.
EventRead = Annotated[
    EntryPushedFeedEvent
    | EntryRemovedFeedEvent
    | BankDecisionRecordedFeedEvent
    | CreditLineApprovedFeedEvent
    | DisbursementRecordedFeedEvent
    | DisbursementReversedFeedEvent
    | RiskTierChangedFeedEvent
    | FundAllocatedFeedEvent
    | FundPaymentRecordedFeedEvent
    | FundPaymentReversedFeedEvent,
    Field(discriminator="type"),
]

_EVENT: TypeAdapter[Any] = TypeAdapter(EventRead)


class EventPage(BaseModel):
    """One page of the feed."""

    items: list[EventRead]
    next_cursor: str | None


def event_read(event_id: str, envelope: dict[str, Any]) -> Any:
    """The feed's item for a stored event: its envelope (``type``, ``timestamp``, ``data``) and its id."""
    return _EVENT.validate_python({**envelope, "id": event_id})

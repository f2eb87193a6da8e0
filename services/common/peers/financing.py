"""The typed client of the financing service. Its test doubles are in ``tests/support/peers.py``."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.common.clients import peer_client
from services.common.money import Money, MoneyTotal
from services.common.peers import PeerContractError, get_json, post_json
from services.common.settings import ServiceSettings

log = logging.getLogger("handover.peers.financing")

PEER = "financing"
FUNDING_POSITIONS_PATH = "/v1/funding-positions/query"
FUNDING_POSITIONS_CHUNK = 5_000
FINANCING_REPORT_PATH = "/v1/reports/financing"


class FundingPosition(BaseModel):
    """What banks have approved and lent to one project (yuan); ``undrawn_amount`` is still available to draw,
    and so are ``unspent_allocations``, the policy funds allocated to it and not yet paid out."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    project_id: str
    approved_amount: Money
    disbursed_amount: Money
    undrawn_amount: Money
    credit_lines: int = Field(0, ge=0, description="Open credit lines of the project.")
    unspent_allocations: Money = Decimal("0.00")


class FundingPositionsAnswer(BaseModel):
    """The envelope; each item is read on its own, so one bad item costs only its project."""

    model_config = ConfigDict(extra="ignore")

    items: list[dict[str, Any]]


class BankFigures(BaseModel):
    """One district's and bank's credit in a month, as the financing report gives it (yuan)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    district: str
    bank: str
    credit_lines_approved: int = Field(ge=0)
    credit_approved: MoneyTotal
    amount_disbursed: MoneyTotal


class FinancingReportAnswer(BaseModel):
    """The part of ``GET /v1/reports/financing`` other services read: the rows by district and bank."""

    model_config = ConfigDict(extra="ignore")

    month: str
    rows: list[BankFigures]


@dataclass
class FundingPositions:
    """Funding positions by project id, and the projects whose item broke the contract (their funding is unknown;
    a project in neither has no credit lines)."""

    positions: dict[str, FundingPosition] = field(default_factory=dict)
    unreadable: set[str] = field(default_factory=set)

    def read(self, raw: dict[str, Any]) -> None:
        """Take one item of an answer. Raises PeerContractError when it names no project to pin a fault on."""
        project_id = raw.get("project_id")
        if not isinstance(project_id, str):
            raise PeerContractError(PEER, f"{FUNDING_POSITIONS_PATH}: an item names no project")
        try:
            self.positions[project_id] = FundingPosition.model_validate(raw)
        except ValidationError as exc:
            log.warning("funding position of project %s unreadable: %s", project_id, exc.errors(include_url=False))
            self.unreadable.add(project_id)


class FinancingClient:
    """Calls the financing service with a service token; one instance (one connection pool) per process."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    @classmethod
    def connect(cls, settings: ServiceSettings) -> FinancingClient:
        """A client of financing at ``HANDOVER_FINANCING_URL``; close it with ``aclose``."""
        return cls(peer_client(settings.financing_url, settings))

    async def aclose(self) -> None:
        await self.http.aclose()

    async def query_funding_positions(
        self, project_ids: Sequence[str], *, chunk_size: int = FUNDING_POSITIONS_CHUNK
    ) -> FundingPositions:
        """Funding positions of ``project_ids``, in chunks of ``chunk_size`` ids per call.

        A project without credit lines or allocations may be left out of the answer; an item that breaks the
        contract (a 17-digit amount, say) makes only its own project's funding unknown. Raises PeerUnavailable
        when financing cannot answer and PeerContractError when it refuses the query, answers with another shape
        or sends an item that names no project.
        """
        answer = FundingPositions()
        for start in range(0, len(project_ids), chunk_size):
            body = {"project_ids": list(project_ids[start : start + chunk_size])}
            content = await post_json(self.http, PEER, FUNDING_POSITIONS_PATH, body)
            try:
                envelope = FundingPositionsAnswer.model_validate_json(content)
            except ValidationError as exc:
                raise PeerContractError(
                    PEER, f"{FUNDING_POSITIONS_PATH}: {exc.error_count()} field(s) unexpected"
                ) from exc
            for item in envelope.items:
                answer.read(item)
        return answer

    async def financing_report(self, month: str) -> FinancingReportAnswer:
        """The month's credit by district and bank. Raises PeerUnavailable when financing cannot answer and
        PeerContractError when it refuses or answers with another shape."""
        content = await get_json(self.http, PEER, FINANCING_REPORT_PATH, {"month": month})
        try:
            return FinancingReportAnswer.model_validate_json(content)
        except ValidationError as exc:
            raise PeerContractError(PEER, f"{FINANCING_REPORT_PATH}: {exc.error_count()} field(s) unexpected") from exc

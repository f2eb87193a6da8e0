"""The typed client of the registry service. Its test doubles are in ``tests/support/peers.py``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.common import clock
from services.common.clients import peer_client
from services.common.money import Money
from services.common.peers import PeerContractError, PeerUnavailable, post_json, scoring_facts
from services.common.peers.scoring_facts import ScoringFactsAnswer
from services.common.settings import ServiceSettings

PEER = "registry"
PROJECT_PATH = "/v1/projects/{project_id}"
RISK_FACTS_PATH = "/v1/risk-facts/query"
# Ids per risk-facts call: half the registry's limit of 10,000, so one call stays well under a second.
RISK_FACTS_CHUNK = 5_000


class RiskFacts(BaseModel):
    """The facts of one project that the risk model scores on (money in yuan, lag in percentage points)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    stall_days: int = Field(ge=0)
    progress_lag_pct: Decimal = Field(ge=0)
    disputes_30d: int = Field(ge=0)
    disputes_90d: int = Field(ge=0)
    group_incidents_90d: int = Field(ge=0)
    overdue_days: int = Field(ge=0)
    remaining_cost: Money
    own_funds_available: Money


class RecordedOutcome(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    kind: str
    delivered_on: date | None = None


class RiskFactsItem(BaseModel):
    """One project in an answer of ``POST /v1/risk-facts/query``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    project_id: str
    code: str
    name: str = ""
    district: str
    status: str
    contract_delivery_date: date
    # None from a registry older than allocation advice, which needs them.
    sold_units: int | None = Field(None, ge=0)
    delivered_units: int | None = Field(None, ge=0)
    facts: RiskFacts
    outcome: RecordedOutcome | None = None


class RiskFactsAnswer(BaseModel):
    """The facts of the asked-for projects, computed for the day ``as_of``."""

    model_config = ConfigDict(extra="ignore")

    as_of: date
    items: list[RiskFactsItem]


class RegistryClient:
    """Calls the registry with a service token; one instance (one connection pool) per process."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    @classmethod
    def connect(cls, settings: ServiceSettings) -> RegistryClient:
        """A client of the registry at ``HANDOVER_REGISTRY_URL``; close it with ``aclose``."""
        return cls(peer_client(settings.registry_url, settings))

    async def aclose(self) -> None:
        await self.http.aclose()

    async def query_risk_facts(
        self,
        project_ids: Sequence[str] | None = None,
        *,
        with_outcomes: bool = False,
        chunk_size: int = RISK_FACTS_CHUNK,
    ) -> RiskFactsAnswer:
        """The risk facts of ``project_ids`` (None: every project), in chunks of ``chunk_size`` ids per call;
        ``with_outcomes`` adds each project's recorded outcome.

        Unknown ids are left out of the answer. Raises PeerUnavailable when the registry cannot answer and
        PeerContractError when it refuses the query or answers with another shape.
        """
        extra = {"with_outcomes": True} if with_outcomes else {}
        answers = [self._decode(await self._query(body)) for body in _bodies(project_ids, extra, chunk_size)]
        if not answers:
            return RiskFactsAnswer(as_of=clock.today(), items=[])
        return RiskFactsAnswer(as_of=answers[-1].as_of, items=[item for a in answers for item in a.items])

    async def query_scoring_facts(
        self, project_ids: Sequence[str] | None = None, *, chunk_size: int = RISK_FACTS_CHUNK
    ) -> ScoringFactsAnswer:
        """``query_risk_facts`` for assessments: the same calls and contract, decoded into the lighter structs of
        ``scoring_facts`` (what scoring reads of each item). Raises as ``query_risk_facts`` does."""
        answers = [
            scoring_facts.decode(await self._query(body), RISK_FACTS_PATH)
            for body in _bodies(project_ids, {}, chunk_size)
        ]
        if not answers:
            return ScoringFactsAnswer(as_of=clock.today(), items=[])
        return ScoringFactsAnswer(as_of=answers[-1].as_of, items=[item for a in answers for item in a.items])

    async def get_project(self, project_id: str) -> dict[str, Any] | None:
        """The project as ``GET /v1/projects/{id}`` shows it, or None when the registry has no such project.

        Raises PeerUnavailable on connection errors, timeouts and 5xx answers, PeerContractError on any other
        non-2xx answer or a body that is not a JSON object.
        """
        path = PROJECT_PATH.format(project_id=project_id)
        try:
            response = await self.http.get(path)
        except httpx.TransportError as exc:
            raise PeerUnavailable(PEER, f"{type(exc).__name__}: {exc}") from exc
        if response.status_code == 404:
            return None
        if response.status_code >= 500:
            raise PeerUnavailable(PEER, f"{path} answered {response.status_code}")
        if not response.is_success:
            raise PeerContractError(PEER, f"{path} answered {response.status_code}: {response.text[:200]}")
        try:
            project = orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise PeerContractError(PEER, f"{path} answered with a body that is not JSON") from exc
        if not isinstance(project, dict):
            raise PeerContractError(PEER, f"{path} answered with a body that is not a JSON object")
        return project

    async def _query(self, body: dict[str, Any]) -> bytes:
        return await post_json(self.http, PEER, RISK_FACTS_PATH, body)

    @staticmethod
    def _decode(content: bytes) -> RiskFactsAnswer:
        try:
            return RiskFactsAnswer.model_validate_json(content)
        except ValidationError as exc:
            raise PeerContractError(PEER, f"{RISK_FACTS_PATH}: {exc.error_count()} field(s) unexpected") from exc


def _bodies(project_ids: Sequence[str] | None, extra: dict[str, Any], chunk_size: int) -> list[dict[str, Any]]:
    """The bodies of the calls that ask for ``project_ids`` (None: every project), ``chunk_size`` ids a call."""
    if project_ids is None:
        return [{"all": True, **extra}]
    return [
        {"project_ids": list(project_ids[i : i + chunk_size]), **extra} for i in range(0, len(project_ids), chunk_size)
    ]

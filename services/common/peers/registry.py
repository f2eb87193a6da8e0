"""The typed client of the registry service, and a respx mock of it for tests."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx
import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.common import clock
from services.common.clients import peer_client
from services.common.money import Money
from services.common.peers import PeerContractError, PeerUnavailable, post_json
from services.common.settings import ServiceSettings

if TYPE_CHECKING:
    import respx

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
        if project_ids is None:
            return await self._query({"all": True, **extra})
        if not project_ids:
            return RiskFactsAnswer(as_of=clock.today(), items=[])
        answers = [
            await self._query({"project_ids": list(project_ids[i : i + chunk_size]), **extra})
            for i in range(0, len(project_ids), chunk_size)
        ]
        return RiskFactsAnswer(as_of=answers[-1].as_of, items=[item for a in answers for item in a.items])

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

    async def _query(self, body: dict[str, Any]) -> RiskFactsAnswer:
        content = await post_json(self.http, PEER, RISK_FACTS_PATH, body)
        try:
            return RiskFactsAnswer.model_validate_json(content)
        except ValidationError as exc:
            raise PeerContractError(PEER, f"{RISK_FACTS_PATH}: {exc.error_count()} field(s) unexpected") from exc


def risk_facts_item(
    project_id: str, *, district: str = "990101", sold_units: int = 600, delivered_units: int = 0, **facts: Any
) -> dict[str, Any]:
    """An item of a risk-facts answer as the registry sends it: a quiet project unless ``facts`` say otherwise."""
    values: dict[str, Any] = {
        "stall_days": 0,
        "progress_lag_pct": "0.0",
        "disputes_30d": 0,
        "disputes_90d": 0,
        "group_incidents_90d": 0,
        "overdue_days": 0,
        "remaining_cost": "100000000.00",
        "own_funds_available": "100000000.00",
    }
    values.update(facts)
    return {
        "project_id": project_id,
        "code": f"P-{project_id[:8]}",
        "name": f"项目{project_id[:8]}",
        "district": district,
        "status": "stalled" if values["stall_days"] else "under_construction",
        "contract_delivery_date": "2027-06-30",
        "sold_units": sold_units,
        "delivered_units": delivered_units,
        "facts": values,
        "outcome": None,
    }


@dataclass
class RiskFactsMock:
    """The registry's risk-facts endpoint under respx: answers from ``items``; ``unavailable`` refuses to connect."""

    items: dict[str, dict[str, Any]]
    as_of: date
    unavailable: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)

    def put(self, *items: Mapping[str, Any]) -> None:
        """Add or replace projects' items."""
        for item in items:
            self.items[str(item["project_id"])] = dict(item)

    def answer(self, request: httpx.Request) -> httpx.Response:
        if self.unavailable:
            raise httpx.ConnectError("registry is down (mock)", request=request)
        body = orjson.loads(request.content)
        self.requests.append(body)
        if body.get("all"):
            chosen: Iterable[dict[str, Any]] = self.items.values()
        else:
            chosen = [self.items[i] for i in body.get("project_ids", []) if i in self.items]
        return httpx.Response(200, json={"as_of": self.as_of.isoformat(), "items": list(chosen)})


def mock_risk_facts(
    router: respx.Router,
    items: Iterable[Mapping[str, Any]] = (),
    *,
    base_url: str = "http://127.0.0.1:8001",
    as_of: date | None = None,
) -> RiskFactsMock:
    """Mock ``POST {base_url}/v1/risk-facts/query`` on ``router``; change the returned mock to change answers."""
    mock = RiskFactsMock(items={}, as_of=as_of or clock.today())
    mock.put(*items)
    router.post(f"{base_url.rstrip('/')}{RISK_FACTS_PATH}").mock(side_effect=mock.answer)
    return mock


def registry_project(
    project_id: str | None = None, *, district: str = "990101", status: str = "under_construction", **fields: Any
) -> dict[str, Any]:
    """A project as ``GET /v1/projects/{id}`` shows it: an ordinary one unless ``fields`` say otherwise."""
    project_id = project_id or str(uuid.uuid4())
    project: dict[str, Any] = {
        "id": project_id,
        "code": f"P-{project_id[:8]}",
        "name": f"项目{project_id[:8]}",
        "district": district,
        "developer_id": str(uuid.UUID(int=0)),
        "total_units": 800,
        "sold_units": 600,
        "delivered_units": 0,
        "contract_delivery_date": "2027-06-30",
        "status": status,
        "progress_pct": "40.0",
        "stall_started_on": "2025-01-06" if status == "stalled" else None,
        "remaining_cost": "125000000.00",
        "own_funds_available": "30000000.00",
        "responsible_unit": None,
        "responsible_person": None,
        "risk_tier": None,
        "version": 1,
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": "2025-01-01T00:00:00Z",
    }
    project.update(fields)
    return project


@dataclass
class ProjectsMock:
    """The registry's ``GET /v1/projects/{id}`` under respx: answers from ``projects`` (404 for others);
    ``unavailable`` refuses to connect."""

    projects: dict[str, dict[str, Any]]
    unavailable: bool = False
    requested: list[str] = field(default_factory=list)
    fact_queries: list[dict[str, Any]] = field(default_factory=list)

    def put(self, *projects: Mapping[str, Any]) -> None:
        """Add or replace projects."""
        for project in projects:
            self.projects[str(project["id"])] = dict(project)

    def answer(self, request: httpx.Request) -> httpx.Response:
        if self.unavailable:
            raise httpx.ConnectError("registry is down (mock)", request=request)
        project_id = request.url.path.rsplit("/", 1)[-1]
        self.requested.append(project_id)
        project = self.projects.get(project_id)
        if project is None:
            return httpx.Response(
                404,
                json={
                    "type": "urn:handover:problem:not-found",
                    "title": "Not Found",
                    "status": 404,
                    "detail": "No such project.",
                },
                headers={"content-type": "application/problem+json"},
            )
        return httpx.Response(200, json=project, headers={"etag": f'"{project.get("version", 1)}"'})

    def answer_facts(self, request: httpx.Request) -> httpx.Response:
        """``POST /v1/risk-facts/query`` from the same projects (quiet facts but their costs and units)."""
        if self.unavailable:
            raise httpx.ConnectError("registry is down (mock)", request=request)
        body = orjson.loads(request.content)
        self.fact_queries.append(body)
        if body.get("all"):
            chosen: Iterable[dict[str, Any]] = self.projects.values()
        else:
            chosen = [self.projects[i] for i in body.get("project_ids", []) if i in self.projects]
        items = []
        for project in chosen:
            item = risk_facts_item(
                project["id"],
                district=project["district"],
                sold_units=project["sold_units"],
                delivered_units=project["delivered_units"],
                remaining_cost=project["remaining_cost"],
                own_funds_available=project["own_funds_available"],
            )
            item.update(
                code=project["code"],
                name=project["name"],
                status=project["status"],
                contract_delivery_date=project["contract_delivery_date"],
            )
            items.append(item)
        return httpx.Response(200, json={"as_of": clock.today().isoformat(), "items": items})


def mock_registry(
    router: respx.Router,
    projects: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    base_url: str = "http://127.0.0.1:8001",
    facts: bool = False,
) -> ProjectsMock:
    """Mock ``GET {base_url}/v1/projects/{id}`` on ``router`` with ``projects`` by id, and with ``facts`` also
    ``POST /v1/risk-facts/query`` from the same projects; change the returned mock (``put``, ``unavailable``)
    to change its answers."""
    mock = ProjectsMock(projects={})
    mock.put(*(projects or {}).values())
    prefix = re.escape(base_url.rstrip("/") + "/v1/projects/")
    router.get(url__regex=rf"^{prefix}[^/?]+$").mock(side_effect=mock.answer)
    if facts:
        router.post(f"{base_url.rstrip('/')}{RISK_FACTS_PATH}").mock(side_effect=mock.answer_facts)
    return mock

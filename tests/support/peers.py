"""Test doubles of the peer services: respx mocks of the registry's and financing's peer endpoints, and the
items they answer with. Production code never imports this module (the typed clients are in
``services/common/peers``)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import orjson
import respx

from services.common import clock
from services.common.peers.financing import FUNDING_POSITIONS_PATH
from services.common.peers.registry import RISK_FACTS_PATH

__all__ = [
    "FundingPositionsMock",
    "ProjectsMock",
    "RiskFactsMock",
    "funding_position",
    "mock_funding_positions",
    "mock_registry",
    "mock_risk_facts",
    "registry_project",
    "risk_facts_item",
]


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
        "task_force_leader_name": None,
        "task_force_leader_title": None,
        "stop_work_order": False,
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


def funding_position(
    project_id: str, undrawn_amount: str = "0.00", unspent_allocations: str = "0.00", **overrides: Any
) -> dict[str, Any]:
    """An item of a funding-positions answer as financing sends it."""
    return {
        "project_id": project_id,
        "approved_amount": undrawn_amount,
        "disbursed_amount": "0.00",
        "undrawn_amount": undrawn_amount,
        "credit_lines": 1,
        "unspent_allocations": unspent_allocations,
        **overrides,
    }


@dataclass
class FundingPositionsMock:
    """Financing's funding-positions endpoint under respx: answers from ``positions``; ``unavailable`` refuses."""

    positions: dict[str, dict[str, Any]]
    unavailable: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)

    def put(self, *positions: Mapping[str, Any]) -> None:
        """Add or replace projects' positions."""
        for position in positions:
            self.positions[str(position["project_id"])] = dict(position)

    def answer(self, request: httpx.Request) -> httpx.Response:
        if self.unavailable:
            raise httpx.ConnectError("financing is down (mock)", request=request)
        body = orjson.loads(request.content)
        self.requests.append(body)
        items = [self.positions[i] for i in body.get("project_ids", []) if i in self.positions]
        return httpx.Response(200, json={"items": items})


def mock_funding_positions(
    router: respx.Router, positions: Iterable[Mapping[str, Any]] = (), *, base_url: str = "http://127.0.0.1:8003"
) -> FundingPositionsMock:
    """Mock ``POST {base_url}/v1/funding-positions/query`` on ``router``; change the returned mock to change answers."""
    mock = FundingPositionsMock(positions={})
    mock.put(*positions)
    router.post(f"{base_url.rstrip('/')}{FUNDING_POSITIONS_PATH}").mock(side_effect=mock.answer)
    return mock

"""Fixtures of the risk service tests: the app in-process, its database, and respx mocks of its peers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import respx
import sqlalchemy as sa

from services.common.db import new_id
from services.risk.app import MIGRATIONS, create_risk_app
from services.risk.models import OUTBOX
from services.risk.settings import RiskSettings
from tests.support import databases
from tests.support.apps import auth, running
from tests.support.peers import (
    FundingPositionsMock,
    RiskFactsMock,
    funding_position,
    mock_funding_positions,
    mock_risk_facts,
    risk_facts_item,
)
from tests.support.rows import Rows
from tests.support.signing import signed_event

REGISTRY_URL = "http://registry.test"
FINANCING_URL = "http://financing.test"


@dataclass
class Peers:
    """respx mocks of registry's risk facts and financing's funding positions."""

    router: respx.Router
    registry: RiskFactsMock
    financing: FundingPositionsMock

    def project(self, *, undrawn: str | None = "0.00", district: str = "990101", **facts: Any) -> str:
        """Put a project in the registry mock (and its funding position in the financing mock); return its id."""
        project_id = new_id()
        self.registry.put(risk_facts_item(project_id, district=district, **facts))
        if undrawn is not None:
            self.financing.put(funding_position(project_id, undrawn))
        return project_id

    def set_facts(self, project_id: str, **facts: Any) -> None:
        item = self.registry.items[project_id]
        self.registry.put(risk_facts_item(project_id, district=item["district"], **{**item["facts"], **facts}))


class Risk:
    """A running risk app, its client, settings and database, and shortcuts."""

    def __init__(self, client: httpx.AsyncClient, settings: RiskSettings, app: Any, peers: Peers) -> None:
        self.client = client
        self.settings = settings
        self.app = app
        self.peers = peers
        self.admin = auth("city_admin")
        self.db = Rows(app.state.database.engine)

    async def assess(self, *project_ids: str, expect: int = 200) -> dict[str, Any]:
        response = await self.client.post(
            "/v1/assessments", json={"project_ids": list(project_ids)}, headers=self.admin
        )
        assert response.status_code == expect, response.text
        return dict(response.json())

    async def history(self, project_id: str) -> list[dict[str, Any]]:
        response = await self.client.get(f"/v1/projects/{project_id}/assessments", headers=self.admin)
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    async def rows(self, sql: str | sa.Executable, **params: Any) -> list[Any]:
        return await self.db.all(sql, **params)

    async def execute(self, sql: str | sa.Executable, **params: Any) -> None:
        """Change rows behind the app's back (to age an override, say)."""
        await self.db.execute(sql, **params)

    async def events(self, project_id: str | None = None) -> list[dict[str, Any]]:
        """Emitted events' envelopes, oldest first."""
        events = OUTBOX.events
        statement = sa.select(events.c.body).order_by(events.c.created_at, events.c.sequence)
        if project_id:
            statement = statement.where(events.c.project_id == project_id)
        return [orjson.loads(row.body) for row in await self.db.all(statement)]

    async def inbox(self, event_type: str, data: dict[str, Any], webhook_id: str | None = None) -> httpx.Response:
        """Deliver a signed event to the app's inbox, as a peer's dispatcher would."""
        return await self.client.post("/v1/inbox", **signed_event(event_type, data, webhook_id=webhook_id).kwargs)


@pytest.fixture
def peers() -> Iterator[Peers]:
    with respx.mock(assert_all_called=False) as router:
        yield Peers(
            router,
            mock_risk_facts(router, base_url=REGISTRY_URL),
            mock_funding_positions(router, base_url=FINANCING_URL),
        )


def settings_for(url: str, **overrides: Any) -> RiskSettings:
    values: dict[str, Any] = {
        "database_url": url,
        "run_dispatcher": False,
        "run_workers": False,
        "registry_url": REGISTRY_URL,
        "financing_url": FINANCING_URL,
        "reassess_delay_seconds": 0,
    }
    values.update(overrides)
    return RiskSettings(**values)


@pytest.fixture
def risk_settings(database_factory: Callable[[str, Path], str]) -> Callable[..., RiskSettings]:
    """Settings on a fresh database of the test's backend, peers at the mocked URLs, no background loops."""

    def make(**overrides: Any) -> RiskSettings:
        return settings_for(database_factory("risk", MIGRATIONS), **overrides)

    return make


@pytest.fixture
async def risk(risk_settings: Callable[..., RiskSettings], peers: Peers) -> AsyncIterator[Risk]:
    settings = risk_settings()
    app = create_risk_app(settings)
    async with running(app) as client:
        yield Risk(client, settings, app, peers)


@pytest.fixture(scope="module")
async def scoring(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[httpx.AsyncClient]:
    """A risk app for the scoring endpoints, which touch no database: SQLite only, one per module."""
    url = databases.sqlite_database("risk", MIGRATIONS, tmp_path_factory.mktemp("risk-scoring"))
    app = create_risk_app(settings_for(url))
    async with running(app) as client:
        yield client

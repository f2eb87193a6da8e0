from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from services.common.events import EventType
from services.registry.app import MIGRATIONS, create_registry_app
from services.registry.models import OUTBOX, Project
from services.registry.projects.repository import READ_COLUMNS
from services.registry.settings import RegistrySettings
from tests.support import factories
from tests.support.apps import auth, running
from tests.support.rows import Condition, Rows, Table
from tests.support.signing import SignedEvent


class Registry:
    """A running registry app, its client, its database URL and shortcuts for set-up."""

    def __init__(self, client: httpx.AsyncClient, url: str, app: Any) -> None:
        self.client = client
        self.url = url
        self.app = app
        self.admin = auth("city_admin")
        self.db = Rows(app.state.database.engine)

    async def developer(self, **overrides: Any) -> dict[str, Any]:
        response = await self.client.post("/v1/developers", json=factories.developer(**overrides), headers=self.admin)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def project_payload(self, **overrides: Any) -> dict[str, Any]:
        """A valid body for ``POST /v1/projects``, with a developer registered for it."""
        developer_id = overrides.pop("developer_id", None) or (await self.developer())["id"]
        return factories.project(developer_id, **overrides)

    async def project(self, **overrides: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/v1/projects", json=await self.project_payload(**overrides), headers=self.admin
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def count(self, table: Table, *where: Condition) -> int:
        """Rows of a table (a model or a name) matching ``where``, read straight from the database."""
        return await self.db.count(table, *where)

    async def facts_events(self, project_id: str) -> int:
        """How many ``project.facts_changed`` events the project has emitted."""
        events = OUTBOX.events
        return await self.db.count(
            events, events.c.project_id == project_id, events.c.type == EventType.project_facts_changed
        )

    async def execute(self, sql: str, **params: Any) -> None:
        await self.db.execute(sql, **params)

    async def rows(self, sql: str | sa.Executable, **params: Any) -> list[Any]:
        return await self.db.all(sql, **params)

    async def read_json_mismatches(self) -> list[tuple[str, str | None, str]]:
        """On PostgreSQL, the projects whose stored ``read_json`` (kept by migration 0010's trigger) differs from
        their JSON as the fast path wrote it per read before: ``row_to_json`` over ``READ_COLUMNS``. Each as
        (id, stored, fresh); empty when all agree, and always on SQLite, which stores none."""
        if self.app.state.database.is_sqlite:
            return []
        fresh_rows = sa.select(*READ_COLUMNS).subquery("fresh_rows")
        fresh = sa.cast(sa.func.row_to_json(sa.literal_column("fresh_rows")), sa.Text)
        statement = sa.select(fresh_rows.c.id, Project.__table__.c.read_json, fresh).join_from(
            fresh_rows, Project, Project.id == fresh_rows.c.id
        )
        rows = await self.rows(statement)
        assert rows, "no projects to compare"
        return [(id_, stored, json) for id_, stored, json in rows if stored != json]

    async def inbox(self, event: SignedEvent) -> httpx.Response:
        """Deliver a signed event to the app's inbox, as a peer's dispatcher would."""
        return await self.client.post("/v1/inbox", **event.kwargs)


RegistryFactory = Callable[..., Any]


@pytest.fixture
def registry_settings(database_factory: Callable[..., str]) -> Callable[..., RegistrySettings]:
    def make(**overrides: Any) -> RegistrySettings:
        url = database_factory("registry", MIGRATIONS)
        values: dict[str, Any] = {
            "database_url": url,
            "run_dispatcher": False,
            "run_daily_jobs": False,
            "subscribers": [],
        }
        values.update(overrides)
        return RegistrySettings(**values)

    return make


@pytest.fixture
async def registry(registry_settings: Callable[..., RegistrySettings]) -> AsyncIterator[Registry]:
    settings = registry_settings()
    app = create_registry_app(settings)
    async with running(app) as client:
        registry = Registry(client, settings.database_url, app)
        yield registry
        # Every registry test on PostgreSQL also checks that whatever it wrote left each project's stored JSON
        # equal to the JSON computed afresh (ADR 20): the trigger covers every write path.
        if await registry.count(Project):
            assert await registry.read_json_mismatches() == []

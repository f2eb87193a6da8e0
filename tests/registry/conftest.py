from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from services.common.db import normalize_url
from services.registry.app import MIGRATIONS, create_registry_app
from services.registry.settings import RegistrySettings
from tests.support import factories
from tests.support.apps import auth, running


class Registry:
    """A running registry app, its client, its database URL and shortcuts for set-up."""

    def __init__(self, client: httpx.AsyncClient, url: str, app: Any) -> None:
        self.client = client
        self.url = url
        self.app = app
        self.admin = auth("city_admin")

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

    async def count(self, table: str, where: str = "") -> int:
        """Rows in a table, read straight from the database."""
        engine = create_async_engine(normalize_url(self.url))
        try:
            async with engine.connect() as connection:
                return int((await connection.execute(sa.text(f"SELECT count(*) FROM {table} {where}"))).scalar_one())
        finally:
            await engine.dispose()

    async def execute(self, sql: str) -> None:
        engine = create_async_engine(normalize_url(self.url))
        try:
            async with engine.begin() as connection:
                await connection.execute(sa.text(sql))
        finally:
            await engine.dispose()

    async def rows(self, sql: str) -> list[Any]:
        engine = create_async_engine(normalize_url(self.url))
        try:
            async with engine.connect() as connection:
                return list((await connection.execute(sa.text(sql))).all())
        finally:
            await engine.dispose()


RegistryFactory = Callable[..., Any]


@pytest.fixture
def registry_settings(database_factory: Callable[..., str]) -> Callable[..., RegistrySettings]:
    def make(**overrides: Any) -> RegistrySettings:
        url = database_factory("registry", MIGRATIONS)
        values: dict[str, Any] = {"database_url": url, "run_dispatcher": False, "subscribers": []}
        values.update(overrides)
        return RegistrySettings(**values)

    return make


@pytest.fixture
async def registry(registry_settings: Callable[..., RegistrySettings]) -> AsyncIterator[Registry]:
    settings = registry_settings()
    app = create_registry_app(settings)
    async with running(app) as client:
        yield Registry(client, settings.database_url, app)

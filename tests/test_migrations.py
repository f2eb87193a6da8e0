"""Each service's Alembic history: upgrade from empty, down to base, up again; and it matches the models."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from services.catalog import SERVICES
from services.common.db import make_engine
from services.common.migrations import downgrade, upgrade
from tests.support import databases


def _tables(url: str) -> set[str]:
    async def run() -> set[str]:
        engine = make_engine(url)
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        await engine.dispose()
        return names - {"alembic_version"}

    return asyncio.run(run())


def _diff(url: str, metadata: object) -> list[object]:
    async def run() -> list[object]:
        engine = make_engine(url)

        def compare(connection: Connection) -> list[object]:
            context = MigrationContext.configure(connection, opts={"compare_type": False})
            return list(compare_metadata(context, metadata))  # type: ignore[arg-type]

        async with engine.connect() as connection:
            diff = await connection.run_sync(compare)
        await engine.dispose()
        return diff

    return asyncio.run(run())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    with databases.empty_database(request.param, tmp_path) as url:
        yield url


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_upgrade_downgrade_upgrade(name: str, empty_database: str) -> None:
    entry = SERVICES[name]
    upgrade(entry.migrations_dir, empty_database)
    created = _tables(empty_database)
    assert {t.name for t in entry.metadata().sorted_tables} <= created
    assert _diff(empty_database, entry.metadata()) == []
    downgrade(entry.migrations_dir, empty_database)
    assert _tables(empty_database) == set()
    upgrade(entry.migrations_dir, empty_database)
    assert _tables(empty_database) == created

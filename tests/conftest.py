"""Fixtures shared by every test: databases on SQLite and PostgreSQL, and app runners."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support import databases

os.environ.setdefault("HANDOVER_WEBHOOK_ALLOW_PRIVATE", "true")

DatabaseFactory = Callable[[str, Path], str]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_factory(backend: str, tmp_path: Path) -> Iterator[DatabaseFactory]:
    """Makes a fresh migrated database of the test's backend for a service: ``factory(service, migrations)``."""
    created: list[str] = []

    def factory(service: str, migrations_dir: Path) -> str:
        if backend == "sqlite":
            return databases.sqlite_database(service, migrations_dir, tmp_path)
        url, name = databases.postgres_database(service, migrations_dir)
        created.append(name)
        return url

    yield factory
    for name in created:
        databases.drop_postgres_database(name)


@pytest.fixture
def postgres_factory(tmp_path: Path) -> Iterator[DatabaseFactory]:
    """Like ``database_factory`` but always PostgreSQL (for concurrency tests)."""
    created: list[str] = []

    def factory(service: str, migrations_dir: Path) -> str:
        url, name = databases.postgres_database(service, migrations_dir)
        created.append(name)
        return url

    yield factory
    for name in created:
        databases.drop_postgres_database(name)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    databases.drop_templates()

"""Test databases: migrated once per service with Alembic into a template, then copied for each test.

SQLite copies the template file; PostgreSQL uses ``CREATE DATABASE ... TEMPLATE``. PostgreSQL comes from
``TEST_DATABASE_URL`` or, where Docker is reachable, a testcontainers server. Without either the PostgreSQL
tests are skipped, except under ``CI=true``, where that is a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.common.migrations import upgrade

_templates: dict[tuple[str, str], str] = {}
_pg_server: str | None = None
_pg_container = None


def _docker_reachable() -> bool:
    try:
        import docker

        docker.from_env().ping()
    except Exception:
        return False
    return True


def postgres_server_url() -> str | None:
    """A SQLAlchemy URL of a PostgreSQL server we may create databases in, or None."""
    global _pg_server, _pg_container
    if _pg_server:
        return _pg_server
    url = os.environ.get("TEST_DATABASE_URL")
    if not url and _docker_reachable():
        from testcontainers.postgres import PostgresContainer

        _pg_container = PostgresContainer("postgres:16-alpine", driver="asyncpg")
        _pg_container.start()
        url = _pg_container.get_connection_url()
    if url:
        _pg_server = url
    return _pg_server


def require_postgres() -> str:
    url = postgres_server_url()
    if url is None:
        message = "no PostgreSQL: set TEST_DATABASE_URL or make Docker reachable"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL tests must run in CI: {message}")
        pytest.skip(message)
    return url


def _in_thread(function: Callable[[], object]) -> None:
    """Run blocking or asyncio.run-based set-up from sync or async fixtures alike."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            function()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def _pg_execute(server_url: str, *statements: str) -> None:
    url = make_url(server_url)

    async def run() -> None:
        connection = await asyncpg.connect(
            host=url.host, port=url.port or 5432, user=url.username, password=url.password, database=url.database
        )
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    _in_thread(lambda: asyncio.run(run()))


def _migrate(migrations_dir: Path, url: str) -> None:
    _in_thread(lambda: upgrade(migrations_dir, url))


def sqlite_database(service: str, migrations_dir: Path, workdir: Path) -> str:
    """A fresh migrated SQLite database for one test."""
    key = ("sqlite", service)
    if key not in _templates:
        template_dir = Path(os.environ.get("HANDOVER_TEST_TMP", "/tmp")) / f"handover-templates-{os.getpid()}"
        template_dir.mkdir(parents=True, exist_ok=True)
        template = template_dir / f"{service}.db"
        template.unlink(missing_ok=True)
        _migrate(migrations_dir, f"sqlite+aiosqlite:///{template}")
        _checkpoint(template)
        _templates[key] = str(template)
    target = workdir / f"{service}-{uuid.uuid4().hex[:8]}.db"
    shutil.copyfile(_templates[key], target)
    return f"sqlite+aiosqlite:///{target}"


def _checkpoint(path: Path) -> None:
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()


def postgres_database(service: str, migrations_dir: Path) -> tuple[str, str]:
    """A fresh migrated PostgreSQL database for one test: (its URL, its name, to drop afterwards)."""
    server = require_postgres()
    key = ("postgres", service)
    base = make_url(server)
    if key not in _templates:
        name = f"handover_tpl_{service}_{os.getpid()}"
        _pg_execute(server, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
        _migrate(migrations_dir, base.set(database=name, drivername="postgresql+asyncpg").render_as_string(False))
        _templates[key] = name
    name = f"handover_{service}_{uuid.uuid4().hex[:10]}"
    _pg_execute(server, f'CREATE DATABASE "{name}" TEMPLATE "{_templates[key]}"')
    return base.set(database=name, drivername="postgresql+asyncpg").render_as_string(False), name


def drop_postgres_database(name: str) -> None:
    server = require_postgres()
    _pg_execute(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def empty_postgres_database() -> tuple[str, str]:
    """An empty PostgreSQL database (for migration tests)."""
    server = require_postgres()
    name = f"handover_empty_{uuid.uuid4().hex[:10]}"
    _pg_execute(server, f'CREATE DATABASE "{name}"')
    return make_url(server).set(database=name, drivername="postgresql+asyncpg").render_as_string(False), name


@contextlib.contextmanager
def empty_database(backend: str, directory: Path) -> Iterator[str]:
    """The URL of an empty database on ``backend`` ("sqlite": a file in ``directory``; "postgres": a new
    database, dropped afterwards), for tests that build their own schema or migrate it."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{directory / 'empty.db'}"
        return
    url, name = empty_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(name)


def drop_templates() -> None:
    for (backend, _service), name in list(_templates.items()):
        if backend == "postgres" and _pg_server:
            _pg_execute(_pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _templates.clear()
    if _pg_container is not None:
        _pg_container.stop()

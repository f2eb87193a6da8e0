"""Alembic, run programmatically: each service has its own migration folder and version table."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.db import make_engine, normalize_url


def alembic_config(migrations_dir: Path, url: str) -> Config:
    """An Alembic config pointing at a service's migrations and database."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def upgrade(migrations_dir: Path, url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` up to ``revision`` (blocking; call from a thread in async code)."""
    command.upgrade(alembic_config(migrations_dir, url), revision)


def downgrade(migrations_dir: Path, url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(migrations_dir, url), revision)


def head_revisions(migrations_dir: Path) -> set[str]:
    script = ScriptDirectory.from_config(alembic_config(migrations_dir, "sqlite://"))
    return set(script.get_heads())


def known_revisions(migrations_dir: Path) -> set[str]:
    script = ScriptDirectory.from_config(alembic_config(migrations_dir, "sqlite://"))
    return {revision.revision for revision in script.walk_revisions()}


async def current_revisions(engine: AsyncEngine) -> set[str]:
    def _current(connection: Connection) -> set[str]:
        return set(MigrationContext.configure(connection).get_current_heads())

    async with engine.connect() as connection:
        return await connection.run_sync(_current)


def run_env(target_metadata: MetaData) -> None:
    """The body of every service's ``env.py``: run migrations online through an async engine."""
    from alembic import context

    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not set"

    def do_run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = make_engine(url)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
            await connection.commit()
        await engine.dispose()

    existing = config.attributes.get("connection")
    if existing is not None:
        do_run(existing)
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(run_async())
        return
    raise RuntimeError("run migrations from a thread (asyncio.to_thread), not inside a running event loop")

"""``python -m services.<name>``: migrate, then serve (or only migrate, or only dispatch)."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from services.common.health import health_router
from services.common.logs import configure_logging
from services.common.migrations import upgrade
from services.common.settings import ServiceSettings


def main(
    *,
    settings_factory: Callable[[], ServiceSettings],
    app_factory: Callable[[ServiceSettings], FastAPI],
    migrations_dir: Path,
    argv: list[str] | None = None,
) -> None:
    """Entry point shared by the three services."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-migrate", action="store_true", help="do not migrate the database before starting")
    parser.add_argument("--migrate-only", action="store_true", help="migrate the database, then exit")
    parser.add_argument(
        "--dispatcher-only",
        action="store_true",
        help="run only the outbox dispatcher (a worker serving just its health and metrics endpoints)",
    )
    args = parser.parse_args(argv)
    settings = settings_factory()
    configure_logging(settings.service_name, settings.log_level)
    if (settings.migrate_on_start and not args.no_migrate) or args.migrate_only:
        upgrade(migrations_dir, settings.database_url)
    if args.migrate_only:
        return
    app = app_factory(settings.model_copy(update={"run_dispatcher": True}) if args.dispatcher_only else settings)
    uvicorn.run(
        dispatcher_app(app) if args.dispatcher_only else app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        loop="auto",
        http="auto",
        timeout_graceful_shutdown=10,
    )


def dispatcher_app(app: FastAPI) -> FastAPI:
    """A worker: the service's lifespan (database, dispatcher) behind only ``/livez``, ``/readyz`` and ``/metrics``."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with app.router.lifespan_context(app):
            yield

    worker = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)
    worker.state = app.state
    worker.include_router(health_router())
    return worker

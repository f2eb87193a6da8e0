"""``python -m services.<name>``: migrate, then serve (or only migrate, or only dispatch)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections.abc import Callable
from pathlib import Path

import uvicorn
from fastapi import FastAPI

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
        "--dispatcher-only", action="store_true", help="run only the outbox dispatcher (a worker, no HTTP)"
    )
    args = parser.parse_args(argv)
    settings = settings_factory()
    configure_logging(settings.service_name, settings.log_level)
    if (settings.migrate_on_start and not args.no_migrate) or args.migrate_only:
        upgrade(migrations_dir, settings.database_url)
    if args.migrate_only:
        return
    if args.dispatcher_only:
        asyncio.run(_dispatch_forever(app_factory(settings.model_copy(update={"run_dispatcher": True}))))
        return
    uvicorn.run(
        app_factory(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        loop="auto",
        http="auto",
        timeout_graceful_shutdown=10,
    )


async def _dispatch_forever(app: FastAPI) -> None:
    """Run the app's lifespan (database, dispatcher) without serving HTTP, until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with app.router.lifespan_context(app):
        await stop.wait()

"""The application factory every service builds on."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import CollectorRegistry
from pydantic import BaseModel

from services.common import apidoc, clock
from services.common.asgi import HttpMetrics, RequestContextMiddleware
from services.common.auth import TokenPolicy
from services.common.db import Database
from services.common.dispatcher import Dispatcher, DispatchHooks
from services.common.docs import install_docs
from services.common.fastlane import FastLane, Lane
from services.common.fastread import FastReader
from services.common.health import Readiness, ReadinessCheck, health_router
from services.common.inbox import EventHandler, inbox_router
from services.common.outbox import Fanout, Outbox, OutboxTables
from services.common.problems import install_problem_handlers
from services.common.query import closed_query
from services.common.settings import ServiceSettings

log = logging.getLogger("handover.app")

Hook = Callable[[FastAPI], Awaitable[None]]

CORS_REQUEST_HEADERS = ["Authorization", "Content-Type", "Accept", "If-Match", "Idempotency-Key", "X-Request-ID"]
CORS_EXPOSED_HEADERS = ["ETag", "Location", "X-Request-ID", "Idempotent-Replayed", "Content-Disposition", "Allow"]


@dataclass
class ServiceSpec:
    """What makes one service: its routers, migrations, outbox and the hooks of its lifespan."""

    title: str
    description: str
    version: str
    migrations_dir: Path
    outbox_tables: OutboxTables
    routers: Sequence[APIRouter]
    event_handlers: dict[str, EventHandler] = field(default_factory=dict)
    readiness_checks: dict[str, ReadinessCheck] = field(default_factory=dict)
    on_startup: Sequence[Hook] = ()
    on_shutdown: Sequence[Hook] = ()
    fanout: Fanout | None = None
    dispatch_hooks: Callable[[FastAPI], DispatchHooks] | None = None
    openapi_tags: list[dict[str, Any]] = field(default_factory=list)
    webhooks: APIRouter | None = None
    extra_schemas: Sequence[type[BaseModel]] = ()
    # Body limits of particular paths (spreadsheet imports), from the settings; other paths take max_body_bytes.
    body_limits: Callable[[Any], Mapping[str, int]] | None = None
    # The hottest GET routes, answered below FastAPI's router (docs/adr/0017), as the settings allow.
    fast_lanes: Callable[[Any], Sequence[Lane]] | None = None


def create_app(spec: ServiceSpec, settings: ServiceSettings) -> FastAPI:
    """Build a service's FastAPI app; the database, dispatcher and peers are opened in its lifespan."""
    clock.set_city_offset(settings.city_utc_offset_hours)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(settings.database_url)
        app.state.database = database
        reader = FastReader(database)
        await reader.open()
        app.state.reader = reader
        dispatcher = Dispatcher(
            database=database,
            tables=spec.outbox_tables,
            settings=settings,
            hooks=spec.dispatch_hooks(app) if spec.dispatch_hooks else None,
            metrics_registry=app.state.metrics_registry,
        )
        app.state.dispatcher = dispatcher
        database.after_commit_hooks.append(dispatcher.wake)
        task: asyncio.Task[None] | None = None
        try:
            for hook in spec.on_startup:
                await hook(app)
            if settings.run_dispatcher:
                task = asyncio.create_task(dispatcher.run(), name=f"{settings.service_name}-dispatcher")
            yield
        finally:
            if task is not None:
                await dispatcher.stop()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(task, timeout=15)
            await dispatcher.aclose()
            for hook in spec.on_shutdown:
                await hook(app)
            await reader.close()
            await database.dispose()

    app = FastAPI(
        title=spec.title,
        description=spec.description,
        version=spec.version,
        lifespan=lifespan,
        openapi_tags=[*spec.openapi_tags, *apidoc.COMMON_TAGS],
        generate_unique_id_function=apidoc.camel_operation_id,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.token_policy = TokenPolicy.of(settings)
    app.state.outbox = Outbox(spec.outbox_tables, settings.subscribers, spec.fanout)
    app.state.readiness = Readiness(spec.migrations_dir, dict(spec.readiness_checks))
    registry = CollectorRegistry()
    app.state.metrics_registry = registry
    install_problem_handlers(app)
    install_docs(app)
    # Routes are matched in order: the service's own first, since they carry almost all the traffic.
    for router in spec.routers:
        app.include_router(router, dependencies=[Depends(closed_query)])
    app.include_router(inbox_router(spec.outbox_tables, spec.event_handlers))
    app.include_router(health_router())
    if spec.webhooks is not None:
        app.webhooks.routes.extend(spec.webhooks.routes)
    lanes = spec.fast_lanes(settings) if spec.fast_lanes else ()
    if lanes:
        # Innermost, so that its answers pass through the request middleware (and CORS) like any other.
        app.add_middleware(FastLane, service=app, lanes=lanes, registry=registry)
    app.add_middleware(
        RequestContextMiddleware,
        metrics=HttpMetrics(registry),
        max_body_bytes=settings.max_body_bytes,
        path_limits=spec.body_limits(settings) if spec.body_limits else None,
    )
    if settings.cors_origins:
        # Outermost, so that every answer a browser can get (a 413 included) carries the CORS headers.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=CORS_EXPOSED_HEADERS,
            max_age=600,
        )
    default_port = type(settings).model_fields["port"].default
    app.openapi = lambda: apidoc.document(  # type: ignore[method-assign]
        app, default_port=default_port, extra_schemas=spec.extra_schemas
    )
    return app

"""The application factory every service builds on."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from prometheus_client import CollectorRegistry

from services.common import clock
from services.common.asgi import HttpMetrics, RequestContextMiddleware
from services.common.auth import TokenPolicy
from services.common.db import Database
from services.common.dispatcher import Dispatcher, DispatchHooks
from services.common.fastread import FastReader
from services.common.health import Readiness, ReadinessCheck, health_router
from services.common.inbox import EventHandler, inbox_router
from services.common.outbox import Fanout, Outbox, OutboxTables
from services.common.problems import PROBLEM_MEDIA_TYPE, Problem, install_problem_handlers
from services.common.query import closed_query
from services.common.settings import ServiceSettings

log = logging.getLogger("handover.app")

Hook = Callable[[FastAPI], Awaitable[None]]


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
        openapi_tags=spec.openapi_tags or None,
    )
    app.state.settings = settings
    app.state.token_policy = TokenPolicy.of(settings)
    app.state.outbox = Outbox(spec.outbox_tables, settings.subscribers, spec.fanout)
    app.state.readiness = Readiness(spec.migrations_dir, dict(spec.readiness_checks))
    registry = CollectorRegistry()
    app.state.metrics_registry = registry
    install_problem_handlers(app)
    # Routes are matched in order: the service's own first, since they carry almost all the traffic.
    for router in spec.routers:
        app.include_router(router, dependencies=[Depends(closed_query)])
    app.include_router(inbox_router(spec.outbox_tables, spec.event_handlers))
    app.include_router(health_router())
    if spec.webhooks is not None:
        app.webhooks.routes.extend(spec.webhooks.routes)
    app.add_middleware(RequestContextMiddleware, metrics=HttpMetrics(registry), max_body_bytes=settings.max_body_bytes)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with every error answer documented as problem+json."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version="3.1.0",
        description=app.description,
        routes=app.routes,
        webhooks=app.webhooks.routes,
        tags=app.openapi_tags,
    )
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in problem_schema.pop("$defs", {}).items():
        schemas[name] = definition
    schemas["Problem"] = problem_schema
    components["securitySchemes"] = {
        "bearerAuth": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "HS256 (or RS256) JWT with `sub`, `role`, `exp`, and `district` or `bank` by role.",
        }
    }
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    for path, operations in schema.get("paths", {}).items():
        for _method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            has_input = bool(operation.get("parameters")) or "requestBody" in operation
            if "422" in responses or has_input:
                responses["422"] = {"description": "Request failed validation", "content": _problem_content()}
            if "requestBody" in operation:
                responses.setdefault("400", {"description": "Malformed JSON", "content": _problem_content()})
                responses.setdefault("413", {"description": "Body too large", "content": _problem_content()})
            if path.startswith("/v1/") and path != "/v1/inbox":
                operation["security"] = [{"bearerAuth": []}]
                responses.setdefault(
                    "401", {"description": "Missing, invalid or expired token", "content": _problem_content()}
                )
                responses.setdefault("403", {"description": "Your role may not do this", "content": _problem_content()})
            if path not in ("/livez", "/readyz", "/metrics"):
                responses.setdefault("500", {"description": "Unexpected error", "content": _problem_content()})
    app.openapi_schema = schema
    return schema

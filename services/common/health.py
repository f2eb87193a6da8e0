"""Liveness, readiness (application/health+json) and Prometheus metrics endpoints."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from services.common.migrations import current_revisions, head_revisions, known_revisions

HEALTH_MEDIA_TYPE = "application/health+json"


class HealthStatus(StrEnum):
    passing = "pass"
    warn = "warn"
    fail = "fail"


@dataclass
class CheckResult:
    status: HealthStatus
    output: str = ""


ReadinessCheck = Callable[[Request], Awaitable[CheckResult]]


@dataclass
class Readiness:
    """The named checks ``/readyz`` runs; a service adds its own (the risk model, for example)."""

    migrations_dir: Path
    checks: dict[str, ReadinessCheck] = field(default_factory=dict)
    _heads: set[str] | None = None
    _known: set[str] | None = None

    def heads(self) -> set[str]:
        if self._heads is None:
            self._heads = head_revisions(self.migrations_dir)
        return self._heads

    def known(self) -> set[str]:
        """Every revision this code's migrations know."""
        if self._known is None:
            self._known = known_revisions(self.migrations_dir)
        return self._known


async def _check_database(request: Request) -> CheckResult:
    database = request.app.state.database
    try:
        async with database.engine.connect() as connection:
            await asyncio.wait_for(connection.execute(text("SELECT 1")), timeout=2)
    except Exception as exc:
        return CheckResult(HealthStatus.fail, f"database unreachable: {type(exc).__name__}")
    return CheckResult(HealthStatus.passing)


async def _check_migrations(request: Request) -> CheckResult:
    readiness: Readiness = request.app.state.readiness
    try:
        current = await current_revisions(request.app.state.database.engine)
    except Exception as exc:
        return CheckResult(HealthStatus.fail, f"cannot read migration state: {type(exc).__name__}")
    heads = readiness.heads()
    if current == heads:
        return CheckResult(HealthStatus.passing)
    if current and not current & readiness.known():
        # A newer release migrated the database during a rolling upgrade; migrations only add until the old
        # code is gone, so this process keeps serving.
        return CheckResult(HealthStatus.warn, f"database at {sorted(current)}, ahead of this code's {sorted(heads)}")
    return CheckResult(HealthStatus.fail, f"database at {sorted(current)}, code expects {sorted(heads)}")


def _health(status: HealthStatus, service: str, checks: dict[str, Any] | None = None) -> Response:
    body: dict[str, Any] = {"status": status.value, "serviceId": service}
    if checks is not None:
        body["checks"] = checks
    return Response(
        orjson.dumps(body),
        status_code=200 if status is not HealthStatus.fail else 503,
        media_type=HEALTH_MEDIA_TYPE,
    )


_HEALTH_SCHEMA = {
    "type": "object",
    "required": ["status"],
    "properties": {
        "status": {"type": "string", "enum": ["pass", "warn", "fail"]},
        "serviceId": {"type": "string"},
        "checks": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "object"}}},
    },
}


def health_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get(
        "/livez",
        operation_id="getLiveness",
        description="For Kubernetes' liveness probe; no token.",
        summary="Liveness: the process is up (checks nothing else)",
        response_class=Response,
        responses={200: {"description": "Alive", "content": {HEALTH_MEDIA_TYPE: {"schema": _HEALTH_SCHEMA}}}},
    )
    async def livez(request: Request) -> Response:
        return _health(HealthStatus.passing, request.app.state.settings.service_name)

    @router.get(
        "/readyz",
        operation_id="getReadiness",
        description="For Kubernetes' readiness probe; 503 until every check passes; no token.",
        summary="Readiness: database reachable, migrations at head, and the service's own checks",
        response_class=Response,
        responses={
            200: {"description": "Ready", "content": {HEALTH_MEDIA_TYPE: {"schema": _HEALTH_SCHEMA}}},
            503: {"description": "Not ready", "content": {HEALTH_MEDIA_TYPE: {"schema": _HEALTH_SCHEMA}}},
        },
    )
    async def readyz(request: Request) -> Response:
        readiness: Readiness = request.app.state.readiness
        checks: dict[str, ReadinessCheck] = {
            "database:connection": _check_database,
            "database:migrations": _check_migrations,
            **readiness.checks,
        }
        results = {name: await check(request) for name, check in checks.items()}
        statuses = {r.status for r in results.values()}
        status = next((s for s in (HealthStatus.fail, HealthStatus.warn) if s in statuses), HealthStatus.passing)
        body = {
            name: [{"status": r.status.value, **({"output": r.output} if r.output else {})}]
            for name, r in results.items()
        }
        return _health(status, request.app.state.settings.service_name, body)

    @router.get(
        "/metrics",
        operation_id="getMetrics",
        description=(
            "Prometheus text format: requests and latencies by method, route template and status, and the"
            " dispatcher's figures; no token."
        ),
        summary="Prometheus metrics",
        response_class=Response,
        responses={200: {"description": "Metrics", "content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    async def metrics(request: Request) -> Response:
        return Response(generate_latest(request.app.state.metrics_registry), media_type=CONTENT_TYPE_LATEST)

    return router

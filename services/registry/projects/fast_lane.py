"""The registry's fast lanes (ADR 17): ``GET /v1/projects/{project_id}`` and ``GET /v1/projects``, the ledger's
most frequent requests, answered by ``reads`` (as their routes answer them) without FastAPI's router and
dependency solver; see ``services/common/fastlane.py`` for what a lane takes and what it leaves to the route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Response
from fastapi.routing import APIRoute

from services.common import clock
from services.common.fastlane import Lane, LaneRequest
from services.common.pagination import page_params
from services.registry.projects import endpoints, reads
from services.registry.scope import READER_ROLES


async def _project(request: LaneRequest) -> Response | None:
    return await reads.project(request.state.reader, request.principal, request.params["project_id"])


async def _page(request: LaneRequest) -> Response:
    params = dict(request.params)
    # The route's own paging dependency, given the values FastAPI would have given it.
    paging = await page_params(limit=params.pop("limit"), cursor=params.pop("cursor"))
    settings = request.state.settings
    return await reads.page(
        request.state.reader,
        request.principal,
        reads.ListQuery(paging=paging, **params),
        today=clock.today(),
        margin=settings.lagging_margin_pct,
    )


def _route(endpoint: Callable[..., Any]) -> APIRoute:
    return next(r for r in endpoints.router.routes if isinstance(r, APIRoute) and r.endpoint is endpoint)


LANES = (
    Lane.of(_route(endpoints.get_project), roles=READER_ROLES, serve=_project),
    Lane.of(_route(endpoints.list_projects), roles=READER_ROLES, serve=_page),
)

"""The answers of the two hottest reads, ``GET /v1/projects/{id}`` and ``GET /v1/projects``: one function each,
called by their FastAPI routes (``endpoints.py``) and by the fast lane (``fast_lane.py``), so that both send the
same bytes and headers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import orjson
from fastapi import Response

from services.common.auth import Principal
from services.common.fastread import FastReader, json_page, json_response
from services.common.pagination import PageParams
from services.registry.projects import repository
from services.registry.projects.schemas import ProjectSort, RiskTier
from services.registry.projects.status import ProjectStatus
from services.registry.scope import can_see_district, district_scope


@dataclass(frozen=True, slots=True)
class ListQuery:
    """The list's parameters, already validated; None is "any"."""

    paging: PageParams
    district: str | None = None
    status: ProjectStatus | None = None
    risk_tier: RiskTier | None = None
    lagging: bool | None = None
    developer_id: str | None = None
    q: str | None = None
    leader: str | None = None
    stop_work_order: bool | None = None
    sort: ProjectSort = ProjectSort.code


async def project(reader: FastReader, principal: Principal, project_id: str) -> Response | None:
    """The project's JSON with its ``ETag``; None when there is no such project or the caller may not see it."""
    rows = await reader.fetch_json(repository.BY_ID, {"id": project_id}, stored=repository.READ_JSON)
    if not rows:
        return None
    found = orjson.loads(rows[0])
    if not can_see_district(principal, found["district"]):
        return None
    return json_response(rows[0], headers={"ETag": f'"{found["version"]}"'})


async def page(reader: FastReader, principal: Principal, query: ListQuery, *, today: date, margin: Decimal) -> Response:
    """One page of the projects the caller may see (a district officer its own district only), as
    ``{"items": [...], "next_cursor": ...}``.

    Raises ProblemError(400) for a cursor this list did not make.
    """
    scope = district_scope(principal)
    if scope is not None and query.district not in (None, scope):
        return json_response({"items": [], "next_cursor": None})
    filters = repository.ProjectFilters(
        district=scope or query.district,
        status=query.status.value if query.status else None,
        risk_tier=query.risk_tier.value if query.risk_tier else None,
        developer_id=query.developer_id,
        q=query.q,
        lagging=query.lagging,
        task_force_leader_name=query.leader,
        stop_work_order=query.stop_work_order,
    )
    rows = await repository.page_json(reader, query.paging, filters, query.sort, today=today, margin=margin)
    field = repository.sort_field(query.sort)
    return json_page(rows, query.paging, lambda row: (row[field], row["id"]))

"""``/v1/districts``: the city's districts, from configuration."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from services.common.problems import problem_responses
from services.registry.scope import Reader
from services.registry.settings import District

router = APIRouter(prefix="/v1/districts", tags=["districts"])


class DistrictList(BaseModel):
    items: list[District]


@router.get(
    "",
    operation_id="listDistricts",
    description="The districts (县/市/区) of the city, from configuration: the codes that `district` fields and "
    "district officers' tokens name. Any authenticated role.",
    response_model=DistrictList,
    summary="The districts of the city",
    responses=problem_responses(401, 403),
)
async def list_districts(request: Request, principal: Reader) -> DistrictList:
    return DistrictList(items=request.app.state.settings.districts)

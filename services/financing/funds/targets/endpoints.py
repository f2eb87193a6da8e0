"""``/v1/fund-targets/{year}``: how much policy money the city means to win in a year, for how many projects."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from services.common import clock
from services.common.deps import CityAdmin, Session
from services.financing.funds.programs.schemas import FIRST_YEAR, LAST_YEAR
from services.financing.funds.targets import service
from services.financing.funds.targets.schemas import TargetRead, TargetUpdate
from services.financing.scope import Staff

router = APIRouter(prefix="/v1/fund-targets", tags=["policy funds"])

Year = Annotated[int, Path(ge=FIRST_YEAR, le=LAST_YEAR, description="A year, e.g. `2025`.")]


@router.put(
    "/{year}",
    operation_id="setFundTarget",
    response_model=TargetRead,
    summary="Set the year's target: policy funds sought and projects to support (city admins)",
    description="Replaces the year's target; audited. The answer holds the target against the actual figures.",
)
async def set_target(year: Year, data: TargetUpdate, principal: CityAdmin, session: Session) -> TargetRead:
    await service.put(session, principal, year, data)
    return await service.read(session, year, clock.today())


@router.get(
    "/{year}",
    operation_id="getFundTarget",
    response_model=TargetRead,
    summary="The year's target against the actual: granted, allocated, paid, projects supported",
    description="The actual figures are those of the programs granted for the year, as of today; a year without "
    "a target answers them with null target figures. Banks may not read targets.",
)
async def get_target(year: Year, principal: Staff, session: Session) -> TargetRead:
    return await service.read(session, year, clock.today())

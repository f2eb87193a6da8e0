"""Annotated dependencies shared by every service's endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal, Role, require_roles
from services.common.db import unit_of_work
from services.common.outbox import Outbox
from services.common.pagination import PageParams, page_params


def _outbox(request: Request) -> Outbox:
    return request.app.state.outbox


Session = Annotated[AsyncSession, Depends(unit_of_work, scope="function")]
# The service's outbox, for endpoints to hand to the services that emit events (services never see the request).
Events = Annotated[Outbox, Depends(_outbox)]
Paging = Annotated[PageParams, Depends(page_params)]
CityAdmin = Annotated[Principal, Depends(require_roles(Role.city_admin))]
ServiceOrAdmin = Annotated[Principal, Depends(require_roles(Role.city_admin, Role.service))]

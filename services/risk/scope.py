"""Who may read which project's risk.

City admins, viewers and peer services read every project; a district officer reads only the projects of its
own district (known from the registry's facts at assessment), and anything else answers 404 so ids do not leak.
Banks learn of tier changes through financing, not here, and are refused.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.common.auth import Principal, Role, require_roles
from services.common.problems import not_found
from services.risk.models import ProjectRiskState

Reader = Annotated[Principal, Depends(require_roles(Role.city_admin, Role.district_officer, Role.viewer, Role.service))]


def ensure_visible(principal: Principal, state: ProjectRiskState | None, what: str = "assessed project") -> None:
    """Raises ProblemError(404) when risk has not assessed the project or it is outside the caller's district."""
    if state is None or (principal.role is Role.district_officer and state.district != principal.district):
        raise not_found(what)

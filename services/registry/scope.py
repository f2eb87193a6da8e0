"""Who may see and change which projects in the registry.

City admins, viewers and peer services see every district; a district officer sees only its own. Banks have no
business in the registry's ledger and are refused. Writers are city admins, district officers and services.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.common.auth import Principal, Role, require_roles
from services.common.problems import forbidden

# The roles that read the ledger: the routes' dependency below, and the fast lane (projects/fast_lane.py).
READER_ROLES = frozenset({Role.city_admin, Role.district_officer, Role.viewer, Role.service})

Reader = Annotated[Principal, Depends(require_roles(*READER_ROLES))]
Writer = Annotated[Principal, Depends(require_roles(Role.city_admin, Role.district_officer, Role.service))]


def district_scope(principal: Principal) -> str | None:
    """The one district the caller is confined to, or None for all."""
    return principal.district if principal.role is Role.district_officer else None


def can_see_district(principal: Principal, district: str) -> bool:
    scope = district_scope(principal)
    return scope is None or scope == district


def ensure_may_register_in(principal: Principal, district: str) -> None:
    """Raises ProblemError(403) when a district officer writes into another district."""
    if not can_see_district(principal, district):
        raise forbidden("A district officer may only register projects in its own district.")

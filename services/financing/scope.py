"""Who may see and do what in financing.

City admins see and do everything; viewers and peer services read everything; a district officer reads its
district's entries, lines and decisions, and nominates and pre-reviews its district's projects; a bank sees
only the entries pushed to it and its own lines, disbursements, decisions, endpoints, deliveries and events.
Anything outside the caller's scope answers 404 (or is absent from lists), so ids do not leak.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.common.auth import Principal, Role, require_roles
from services.common.problems import forbidden, unprocessable

Reader = Annotated[
    Principal,
    Depends(require_roles(Role.city_admin, Role.district_officer, Role.viewer, Role.bank, Role.service)),
]
Staff = Annotated[Principal, Depends(require_roles(Role.city_admin, Role.district_officer, Role.viewer, Role.service))]
Nominator = Annotated[Principal, Depends(require_roles(Role.city_admin, Role.district_officer))]
BankActor = Annotated[Principal, Depends(require_roles(Role.city_admin, Role.bank))]
EventReader = Annotated[Principal, Depends(require_roles(Role.city_admin, Role.viewer, Role.bank, Role.service))]
PositionReader = Annotated[Principal, Depends(require_roles(Role.city_admin, Role.viewer, Role.service))]


def bank_scope(principal: Principal) -> str | None:
    """The one bank the caller is confined to, or None."""
    return principal.bank if principal.role is Role.bank else None


def district_scope(principal: Principal) -> str | None:
    """The one district the caller is confined to, or None."""
    return principal.district if principal.role is Role.district_officer else None


def can_see(principal: Principal, *, district: str, banks: set[str] | None = None, bank: str | None = None) -> bool:
    """Whether the caller may see a thing of ``district`` belonging to ``bank`` (or pushed to ``banks``)."""
    own_district = district_scope(principal)
    if own_district is not None and own_district != district:
        return False
    own_bank = bank_scope(principal)
    if own_bank is None:
        return True
    return own_bank == bank or (banks is not None and own_bank in banks)


def acting_bank(principal: Principal, requested: str | None, pointer: str = "#/body/bank") -> str:
    """The bank a write is made for: a bank's own (its token's claim), or the one a city admin names.

    Raises ProblemError 403 when a bank names another bank, 422 when a city admin names none.
    """
    own = bank_scope(principal)
    if own is not None:
        if requested is not None and requested != own:
            raise forbidden("A bank acts only for itself.")
        return own
    if requested is None:
        raise unprocessable("A city admin acting for a bank must name the bank.", pointer)
    return requested

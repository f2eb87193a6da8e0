"""Who may see and do what with the policy funds.

City admins do everything; viewers and peer services read everything. A district officer reads every program
(the grants are the city's, not secret) but only its district's allocations and payments, and records and
reverses payments of its district's projects. A bank sees nothing of the funds unless a program names it as
the paying bank: then that program, its allocations and its payments. Anything else answers 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.common.auth import Principal, Role, require_roles
from services.financing.scope import bank_scope, can_see

Payer = Annotated[Principal, Depends(require_roles(Role.city_admin, Role.district_officer))]


def sees_program(principal: Principal, paying_bank: str | None) -> bool:
    """Whether the caller may see a program paid out by ``paying_bank``."""
    own_bank = bank_scope(principal)
    return own_bank is None or own_bank == paying_bank


def sees_project_funds(principal: Principal, *, district: str, paying_bank: str | None) -> bool:
    """Whether the caller may see an allocation or payment of a project in ``district``."""
    return can_see(principal, district=district, bank=paying_bank)

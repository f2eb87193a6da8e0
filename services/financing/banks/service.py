"""Bank rules: a code names one bank."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal, Role
from services.common.problems import conflict, forbidden, unprocessable
from services.financing.banks import repository
from services.financing.banks.schemas import BankCreate
from services.financing.models import Bank


async def create(session: AsyncSession, data: BankCreate) -> Bank:
    """Register a bank. Raises ProblemError(409) when the code is taken."""
    if await repository.by_code(session, data.code) is not None:
        raise conflict(f"A bank with code {data.code!r} exists already.", slug="duplicate-code")
    bank = Bank(code=data.code, name=data.name)
    session.add(bank)
    await session.flush()
    return bank


async def ensure_registered(session: AsyncSession, principal: Principal, code: str, pointer: str) -> None:
    """Raises ProblemError 422 (at ``pointer``) when no bank has ``code``, or 403 when a bank's own token
    names a bank financing does not know."""
    if await repository.by_code(session, code) is not None:
        return
    if principal.role is Role.bank:
        raise forbidden(f"Bank {code!r} is not registered with financing.")
    raise unprocessable(f"No bank has code {code!r}; see GET /v1/banks.", pointer, slug="unknown-bank")

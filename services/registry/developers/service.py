"""Registering developers."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.common.problems import conflict
from services.registry import audit
from services.registry.developers import repository
from services.registry.developers.schemas import DeveloperCreate
from services.registry.models import Developer


async def create(session: AsyncSession, principal: Principal, data: DeveloperCreate) -> Developer:
    """Register a developer once per credit code (409 ``duplicate-credit-code`` for a second), audited."""
    if await repository.credit_code_taken(session, data.credit_code):
        raise conflict("A developer with this credit code is registered already.", slug="duplicate-credit-code")
    developer = Developer(name=data.name, credit_code=data.credit_code)
    session.add(developer)
    await session.flush()
    await audit.record(
        session,
        principal,
        entity="developer",
        entity_id=developer.id,
        action="create",
        after={"name": developer.name, "credit_code": developer.credit_code},
    )
    return developer

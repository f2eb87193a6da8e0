"""All SQL about whitelist entries, their pushes, transitions and the banks' decisions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.pagination import PageParams, by_time, keyset
from services.financing.models import BankDecision, WhitelistEntry, WhitelistPush, WhitelistTransition
from services.financing.whitelist.schemas import Decision
from services.financing.whitelist.status import EntryStatus


async def get(session: AsyncSession, entry_id: str, *, for_update: bool = False) -> WhitelistEntry | None:
    stmt = sa.select(WhitelistEntry).where(WhitelistEntry.id == entry_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def live_entry_of(session: AsyncSession, project_id: str) -> WhitelistEntry | None:
    """The project's entry that is not removed, if any."""
    stmt = sa.select(WhitelistEntry).where(
        WhitelistEntry.project_id == project_id, WhitelistEntry.status != EntryStatus.removed
    )
    return (await session.execute(stmt)).scalar_one_or_none()


PushRow = tuple[str, datetime, Decision | None]


async def pushes_of(session: AsyncSession, entry_ids: Sequence[str], *, bank: str | None) -> dict[str, list[PushRow]]:
    """Each entry's pushes (bank, when, the bank's decision), oldest first; only ``bank``'s when given."""
    if not entry_ids:
        return {}
    stmt = (
        sa.select(WhitelistPush.entry_id, WhitelistPush.bank, WhitelistPush.pushed_at, BankDecision.decision)
        .outerjoin(
            BankDecision,
            sa.and_(BankDecision.entry_id == WhitelistPush.entry_id, BankDecision.bank == WhitelistPush.bank),
        )
        .where(WhitelistPush.entry_id.in_(list(entry_ids)))
        .order_by(WhitelistPush.pushed_at, WhitelistPush.bank)
    )
    if bank is not None:
        stmt = stmt.where(WhitelistPush.bank == bank)
    out: dict[str, list[PushRow]] = defaultdict(list)
    for entry_id, pushed_bank, pushed_at, decision in (await session.execute(stmt)).all():
        out[entry_id].append((pushed_bank, pushed_at, Decision(decision) if decision else None))
    return out


async def pushed_district(session: AsyncSession, project_id: str, bank: str) -> str | None:
    """The district of the project's entry when it stands pushed to ``bank``; None otherwise."""
    stmt = (
        sa.select(WhitelistEntry.district)
        .join(WhitelistPush, WhitelistPush.entry_id == WhitelistEntry.id)
        .where(
            WhitelistEntry.project_id == project_id,
            WhitelistEntry.status == EntryStatus.pushed,
            WhitelistPush.bank == bank,
        )
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def pushed_banks(session: AsyncSession, entry_id: str) -> set[str]:
    stmt = sa.select(WhitelistPush.bank).where(WhitelistPush.entry_id == entry_id)
    return set((await session.scalars(stmt)).all())


async def page(
    session: AsyncSession,
    paging: PageParams,
    *,
    district: str | None,
    bank: str | None,
    status: EntryStatus | None,
    category: str | None,
    project_id: str | None,
    pushed_to: str | None,
) -> list[WhitelistEntry]:
    """Entries, newest first; ``bank`` confines to entries pushed to it, as does the ``pushed_to`` filter."""
    stmt = sa.select(WhitelistEntry)
    if district is not None:
        stmt = stmt.where(WhitelistEntry.district == district)
    if status is not None:
        stmt = stmt.where(WhitelistEntry.status == status)
    if category is not None:
        stmt = stmt.where(WhitelistEntry.category == category)
    if project_id is not None:
        stmt = stmt.where(WhitelistEntry.project_id == project_id)
    for code in {b for b in (bank, pushed_to) if b is not None}:
        stmt = stmt.where(sa.exists().where(WhitelistPush.entry_id == WhitelistEntry.id, WhitelistPush.bank == code))
    stmt = keyset(stmt, paging, *by_time(WhitelistEntry.created_at, WhitelistEntry.id))
    return list((await session.scalars(stmt)).all())


async def history_page(session: AsyncSession, paging: PageParams, entry_id: str) -> list[WhitelistTransition]:
    """The entry's steps, oldest first."""
    stmt = sa.select(WhitelistTransition).where(WhitelistTransition.entry_id == entry_id)
    stmt = keyset(stmt, paging, *by_time(WhitelistTransition.at, WhitelistTransition.id, newest_first=False))
    return list((await session.scalars(stmt)).all())


async def decision_of(session: AsyncSession, entry_id: str, bank: str) -> BankDecision | None:
    stmt = sa.select(BankDecision).where(BankDecision.entry_id == entry_id, BankDecision.bank == bank)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_decision(session: AsyncSession, decision_id: str) -> BankDecision | None:
    return await session.get(BankDecision, decision_id)


async def decisions_page(
    session: AsyncSession,
    paging: PageParams,
    *,
    district: str | None,
    bank: str | None,
    decision: Decision | None,
    entry_id: str | None,
    project_id: str | None,
) -> list[BankDecision]:
    """Decisions, newest first."""
    stmt = sa.select(BankDecision)
    if district is not None:
        stmt = stmt.where(BankDecision.district == district)
    if bank is not None:
        stmt = stmt.where(BankDecision.bank == bank)
    if decision is not None:
        stmt = stmt.where(BankDecision.decision == decision)
    if entry_id is not None:
        stmt = stmt.where(BankDecision.entry_id == entry_id)
    if project_id is not None:
        stmt = stmt.where(BankDecision.project_id == project_id)
    stmt = keyset(stmt, paging, *by_time(BankDecision.decided_at, BankDecision.id))
    return list((await session.scalars(stmt)).all())

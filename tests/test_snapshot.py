"""``snapshot.reads``: reads run side by side on PostgreSQL all see one moment; on SQLite they run in turn on the
session; a failed read fails the block with its own error."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.common import snapshot
from services.common.db import make_engine
from tests.support import databases


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with databases.empty_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def engine(url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(url)
    async with engine.begin() as connection:
        await connection.execute(sa.text("CREATE TABLE items (n INTEGER)"))
        await connection.execute(sa.text("INSERT INTO items VALUES (1), (2)"))
    yield engine
    await engine.dispose()


async def count(session: AsyncSession) -> int:
    return int((await session.execute(sa.text("SELECT count(*) FROM items"))).scalar_one())


async def test_reads_give_their_results_in_their_order(engine: AsyncEngine) -> None:
    async def total(session: AsyncSession) -> int:
        return int((await session.execute(sa.text("SELECT sum(n) FROM items"))).scalar_one())

    async with AsyncSession(engine) as session, snapshot.reads(session, connections=2) as read:
        counted, summed, again = read(count), read(total), read(count)
    assert (counted.result(), summed.result(), again.result()) == (2, 3, 2)


@pytest.mark.parametrize("url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
async def test_reads_side_by_side_see_one_moment(engine: AsyncEngine) -> None:
    async def add_then_count(session: AsyncSession) -> int:
        """A row committed by someone else while the reads run, then counted."""
        async with engine.begin() as other:
            await other.execute(sa.text("INSERT INTO items VALUES (3)"))
        return await count(session)

    async with AsyncSession(engine) as session, snapshot.reads(session, connections=2) as read:
        reads = [read(count), read(add_then_count), read(count), read(count)]
    # Every read sees the moment the block's reads began, on whichever connection it ran: none sees the row
    # committed meanwhile, which a later statement of its own would have seen.
    assert [r.result() for r in reads] == [2, 2, 2, 2]
    async with AsyncSession(engine) as session:
        assert await count(session) == 3


async def test_a_failed_read_fails_the_block_with_its_own_error(engine: AsyncEngine) -> None:
    async def fail(session: AsyncSession) -> int:
        await count(session)
        raise LookupError("no such figure")

    async with AsyncSession(engine) as session:
        with pytest.raises(LookupError, match="no such figure"):
            async with snapshot.reads(session, connections=2) as read:
                read(count)
                read(fail)
                read(count)


@pytest.mark.parametrize("url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
async def test_past_the_shared_blocks_a_block_reads_on_its_session(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With SHARED_BLOCKS blocks already holding pool connections, another does not wait for more: it reads on its
    own session, one statement after another (each its own moment, as before snapshots were shared)."""

    async def add_then_count(session: AsyncSession) -> int:
        async with engine.begin() as other:
            await other.execute(sa.text("INSERT INTO items VALUES (3)"))
        return await count(session)

    monkeypatch.setattr(snapshot, "_shared_now", snapshot.SHARED_BLOCKS)
    async with AsyncSession(engine) as session, snapshot.reads(session, connections=2) as read:
        reads = [read(count), read(add_then_count), read(count)]
    assert [r.result() for r in reads] == [2, 3, 3]
    assert snapshot._shared_now == snapshot.SHARED_BLOCKS

"""Independent reads run side by side on several connections, all seeing the database at one moment.

A report made of a dozen aggregates spends its time waiting for PostgreSQL to run them one after another on
the request's connection. ``reads`` runs them on a few connections at once instead, and keeps them consistent:
the first connection opens a ``REPEATABLE READ READ ONLY`` transaction and exports its snapshot
(``pg_export_snapshot``), the others import it (``SET TRANSACTION SNAPSHOT``) before their first statement, so
every read sees the same committed rows, as one statement would; none can see a write committed while the others
run. (The request's own session, in ``READ COMMITTED``, is not part of that moment: what it reads before or after
the block may be a little newer, and what it has written but not committed the reads do not see; use it for
reports, not after writes.)

On SQLite (one writer, one process, tests and small installations) the reads run one after another on the given
session, as before.

    async with snapshot.reads(session) as read:
        rows = read(repository.lagging_projects, period)  # a Future, done when the block ends
        counts = read(repository.stalls, period)
    rows.result(), counts.result()
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

P = ParamSpec("P")
T = TypeVar("T")

# Two cores' worth of PostgreSQL work and the Python that reads its rows: more connections only queue.
CONNECTIONS = 3
# Blocks sharing a snapshot at once in a process. Each takes up to CONNECTIONS connections from the pool besides
# its request's own; taken one by one, unbounded, a burst of reports could each hold some and all wait for more
# until the pool's timeout. Past this many, a block runs its reads one after another on its session instead of
# waiting for a slot.
SHARED_BLOCKS = 2
_shared_now = 0
_SNAPSHOT_ID = re.compile(r"^[0-9A-F]+-[0-9A-F]+(-[0-9A-F]+)?$")


class Read(Protocol):
    def __call__(
        self, function: Callable[Concatenate[AsyncSession, P], Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> asyncio.Future[T]: ...


@contextlib.asynccontextmanager
async def reads(session: AsyncSession, connections: int = CONNECTIONS) -> AsyncIterator[Read]:
    """Collect reads (``read(function, *args)``: ``function(a_session, *args)``), then run them when the block
    ends, in the order given (longest first balances the connections best), on up to ``connections``
    connections sharing one snapshot. Each read gives a future, resolved when the block ends; a failed read
    fails the block (the others are cancelled)."""
    queued: list[tuple[Callable[..., Awaitable[Any]], tuple[Any, ...], dict[str, Any], asyncio.Future[Any]]] = []

    def read(
        function: Callable[Concatenate[AsyncSession, P], Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> asyncio.Future[T]:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        queued.append((function, args, kwargs, future))
        return future

    yield read
    bind = session.bind
    if session.get_bind().dialect.name != "postgresql" or not isinstance(bind, AsyncEngine) or len(queued) < 2:
        await _run_on(session, queued)
        return
    global _shared_now
    if _shared_now >= SHARED_BLOCKS:
        await _run_on(session, queued)
        return
    _shared_now += 1
    try:
        await _run_shared(bind, queued, min(connections, len(queued)))
    finally:
        _shared_now -= 1


async def _run_on(session: AsyncSession, queued: list[Any]) -> None:
    for function, args, kwargs, future in queued:
        future.set_result(await function(session, *args, **kwargs))


async def _run_shared(engine: AsyncEngine, queued: list[Any], connections: int) -> None:
    pending = list(reversed(queued))

    async def work(connection: AsyncConnection) -> None:
        async with AsyncSession(bind=connection, expire_on_commit=False, autoflush=False) as own:
            while pending:
                function, args, kwargs, future = pending.pop()
                future.set_result(await function(own, *args, **kwargs))

    async with contextlib.AsyncExitStack() as stack:
        first = await _open(stack, engine)
        exported = (await first.exec_driver_sql("SELECT pg_export_snapshot()")).scalar_one()
        if not _SNAPSHOT_ID.match(exported):  # never: PostgreSQL's own identifier, checked as it is spliced in
            raise ValueError(f"unexpected snapshot id {exported!r}")
        others = []
        for _ in range(connections - 1):
            other = await _open(stack, engine)
            await other.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{exported}'")
            others.append(other)
        tasks = [asyncio.create_task(work(connection)) for connection in (first, *others)]
        try:
            await asyncio.gather(*tasks)
        except BaseException:  # the first failure is the block's, as it would be run one after another
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise


async def _open(stack: contextlib.AsyncExitStack, engine: AsyncEngine) -> AsyncConnection:
    """A connection in a read-only repeatable-read transaction, rolled back (nothing to keep) when ``stack``
    closes."""
    connection = await stack.enter_async_context(engine.connect())
    connection = await connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    await stack.enter_async_context(connection.begin())
    return connection

"""Overlapping a few independent pieces of work of one request: at most ``limit`` running at once, their
results in the order they were started.

A whole-portfolio reassessment writes ten chunks of 5,000 projects, each in its own transaction. One after
another, the risk process sat idle while PostgreSQL wrote a chunk, and PostgreSQL while the process built the
next one's rows. With two chunks in flight, one is written while the other is built (see
``services.risk.assessments.service``). The first failure cancels the pieces still running (their transactions
roll back, unless already committing) and is raised as it was, not wrapped in an ``ExceptionGroup``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Overlap(Generic[T]):
    """``async with Overlap(2) as work: await work.start(...); ...; results = await work.results()``."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self._slots = asyncio.Semaphore(limit)
        self._tasks: list[asyncio.Task[T]] = []

    async def __aenter__(self) -> Overlap[T]:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self._cancel()

    async def start(self, work: Coroutine[Any, Any, T]) -> None:
        """Start ``work`` once fewer than ``limit`` pieces run. Raises the failure of a piece started before."""
        try:
            await self._slots.acquire()
            self._raise_failure()
        except BaseException:
            work.close()
            raise
        task = asyncio.create_task(work)
        task.add_done_callback(lambda _: self._slots.release())
        self._tasks.append(task)

    async def results(self) -> list[T]:
        """Every piece's result, in the order they were started; raises the first failure met."""
        results = []
        for task in self._tasks:
            if not task.done():
                await asyncio.wait([t for t in self._tasks if not t.done()], return_when=asyncio.FIRST_EXCEPTION)
                self._raise_failure()
            results.append(await task)
        return results

    def _raise_failure(self) -> None:
        for task in self._tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]

    async def _cancel(self) -> None:
        running = [task for task in self._tasks if not task.done()]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

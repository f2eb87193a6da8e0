"""Overlapped work: at most ``limit`` pieces at once, results in the order started, the first failure raised as
it was and the pieces still running cancelled."""

from __future__ import annotations

import asyncio

import pytest

from services.common.overlap import Overlap


async def test_results_in_the_order_started_with_at_most_limit_running() -> None:
    running, most = 0, 0

    async def piece(value: int, delay: float) -> int:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(delay)
        running -= 1
        return value

    async with Overlap[int](2) as work:
        for value, delay in [(1, 0.03), (2, 0.0), (3, 0.02), (4, 0.0), (5, 0.01)]:
            await work.start(piece(value, delay))
        assert await work.results() == [1, 2, 3, 4, 5]
    assert most == 2


async def test_a_failure_is_raised_as_is_and_cancels_what_still_runs() -> None:
    cancelled = asyncio.Event()

    async def slow() -> int:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return 0

    async def failing() -> int:
        raise LookupError("chunk 2")

    with pytest.raises(LookupError, match="chunk 2"):
        async with Overlap[int](2) as work:
            await work.start(slow())
            await work.start(failing())
            await work.results()
    assert cancelled.is_set()


async def test_no_piece_starts_after_a_failure() -> None:
    started: list[str] = []

    async def failing() -> None:
        started.append("failing")
        raise LookupError("first")

    async def later() -> None:
        started.append("later")

    with pytest.raises(LookupError, match="first"):
        async with Overlap[None](1) as work:
            await work.start(failing())
            await work.start(later())
    assert started == ["failing"]


async def test_an_error_between_pieces_cancels_the_running_ones() -> None:
    cancelled = asyncio.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with pytest.raises(RuntimeError):
        async with Overlap[None](2) as work:
            await work.start(slow())
            await asyncio.sleep(0)
            raise RuntimeError("building the next chunk failed")
    assert cancelled.is_set()

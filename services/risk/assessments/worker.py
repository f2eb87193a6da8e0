"""Background loops of the risk service: reassess queued projects, and retry assessments without funding.

- Reassessment: woken after every commit (so right after the inbox queues a project), it waits
  ``RISK_REASSESS_DELAY_SECONDS`` so that events close together are assessed together, then assesses the
  queued projects in chunks, grouped by the request id that caused them (so one flow can be followed in the
  logs). When the registry is unavailable the queue stays and is retried with backoff.
- Funding retry: every ``RISK_FUNDING_RETRY_SECONDS`` the projects whose latest assessment lacks funding are
  assessed again, but only when financing answers; until then nothing new is stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from datetime import timedelta

from services.common import clock
from services.common.context import request_id_var
from services.common.db import Database
from services.common.peers import PeerContractError, PeerUnavailable
from services.risk.assessments import repository
from services.risk.assessments.schemas import AssessmentTrigger
from services.risk.assessments.service import Assessor, ModelNotLoaded
from services.risk.models import PendingReassessment

log = logging.getLogger("handover.risk.worker")

# How often the queue is looked at when nothing wakes the worker (work left by another process, say).
POLL_SECONDS = 5.0
MAX_BACKOFF_SECONDS = 60.0


class ReassessmentWorker:
    """Drains the reassessment queue and retries unknown funding; ``start`` runs both loops until ``stop``."""

    def __init__(
        self, assessor: Assessor, database: Database, *, delay_seconds: float, funding_retry_seconds: float
    ) -> None:
        self.assessor = assessor
        self.database = database
        self.delay = delay_seconds
        self.funding_retry_seconds = funding_retry_seconds
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def wake(self) -> None:
        """Look at the queue now (called after every commit)."""
        self._wake.set()

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._reassess_forever(), name="risk-reassessment"),
            asyncio.create_task(self._retry_funding_forever(), name="risk-funding-retry"),
        ]

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def reassess_queued(self) -> int:
        """Assess the projects queued at least ``delay`` ago, a chunk at a time; return how many were assessed.

        Raises PeerUnavailable or PeerContractError when the registry cannot be used (the queue is kept), and
        ModelNotLoaded.
        """
        done = 0
        while True:
            async with self.database.sessionmaker() as session:
                due = await repository.due_reassessments(
                    session, until=clock.now() - timedelta(seconds=self.delay), limit=self.assessor.chunk_size
                )
            if not due:
                return done
            by_request: dict[str | None, list[PendingReassessment]] = defaultdict(list)
            for pending in due:
                by_request[pending.request_id].append(pending)
            for request_id, group in by_request.items():
                token = request_id_var.set(request_id)
                try:
                    await self.assessor.run([p.project_id for p in group], AssessmentTrigger.facts_changed)
                finally:
                    request_id_var.reset(token)
                async with self.database.transaction() as session:
                    await repository.clear_reassessments(session, [(p.project_id, p.requested_at) for p in group])
                done += len(group)

    async def retry_unknown_funding(self) -> int:
        """Assess again the projects assessed without funding, if financing answers; return how many were.

        Raises PeerUnavailable or PeerContractError when registry or financing cannot be used, and
        ModelNotLoaded.
        """
        done = 0
        after = ""
        while True:
            async with self.database.sessionmaker() as session:
                ids = await repository.funding_unknown_ids(session, after=after, limit=self.assessor.chunk_size)
            if not ids:
                return done
            await self.assessor.run(ids, AssessmentTrigger.funding_retry, require_funding=True)
            done += len(ids)
            after = ids[-1]

    async def _reassess_forever(self) -> None:
        backoff = 1.0
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=POLL_SECONDS)
            self._wake.clear()
            await asyncio.sleep(self.delay)
            try:
                await self.reassess_queued()
                backoff = 1.0
            except (PeerUnavailable, PeerContractError, ModelNotLoaded) as exc:
                log.warning("reassessment postponed %.0f s: %s", backoff, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                self._wake.set()
            except Exception:
                log.exception("reassessment round failed")

    async def _retry_funding_forever(self) -> None:
        while not self._stopping.is_set():
            await asyncio.sleep(self.funding_retry_seconds)
            try:
                retried = await self.retry_unknown_funding()
            except (PeerUnavailable, PeerContractError, ModelNotLoaded) as exc:
                log.info("funding still unknown: %s", exc)
                continue
            except Exception:
                log.exception("funding retry round failed")
                continue
            if retried:
                log.info("reassessed %d project(s) now that financing answers", retried)

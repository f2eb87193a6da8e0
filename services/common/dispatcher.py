"""Delivers outbox rows as Standard Webhooks signed POSTs, at least once, with jittered backoff.

Several dispatchers may share one PostgreSQL database: each claims due deliveries with
``FOR UPDATE SKIP LOCKED`` and stamps a lease; a dispatcher that dies mid-delivery leaves rows whose lease
expires, and another picks them up and delivers them again with the same ``webhook-id``.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx
import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks import Webhook

from services.common import clock
from services.common.db import Database, new_id
from services.common.netguard import DestinationRefused, check_destination
from services.common.outbox import DeliveryStatus, OutboxTables
from services.common.settings import ServiceSettings

log = logging.getLogger("handover.dispatcher")

USER_AGENT = "Handover-Webhooks/1"
# A destination failing this many times in a row is left alone for a pause that doubles up to the maximum,
# so a dead bank endpoint does not spend the attempts (and time) that live ones need.
BREAKER_THRESHOLD = 5
BREAKER_PAUSE = 5.0
BREAKER_MAX_PAUSE = 600.0
_EXCERPT = 256


@dataclass(frozen=True)
class EndpointInfo:
    """What the dispatcher needs to know of a registered endpoint."""

    secrets: Sequence[str]
    enabled: bool = True
    rate_per_second: float | None = None


@dataclass(frozen=True)
class AttemptResult:
    delivery_id: str
    endpoint_id: str | None
    event_id: str
    url: str
    outcome: DeliveryStatus
    status_code: int | None
    latency_ms: int
    attempted_at: datetime
    next_attempt_at: datetime | None
    response_excerpt: str | None = None
    error: str | None = None


class DispatchHooks(Protocol):
    """How a service that registers endpoints (financing) plugs its endpoints into the dispatcher."""

    async def resolve(self, session: AsyncSession, endpoint_ids: set[str]) -> dict[str, EndpointInfo]: ...

    async def after_attempts(self, session: AsyncSession, results: Sequence[AttemptResult]) -> None: ...


@dataclass
class _Claimed:
    id: str
    event_id: str
    endpoint_id: str | None
    url: str
    attempts: int
    created_at: datetime
    body: str
    request_id: str | None


@dataclass
class _Bucket:
    rate: float
    tokens: float
    updated: float = field(default_factory=time.monotonic)

    def take(self) -> float:
        """Take a token; return 0, or the seconds to wait for one."""
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class _Breaker:
    """Consecutive failures of one destination; past a few, its deliveries wait instead of being attempted."""

    failures: int = 0
    open_until: float = 0.0

    def record(self, ok: bool) -> None:
        if ok:
            self.failures, self.open_until = 0, 0.0
            return
        self.failures += 1
        if self.failures >= BREAKER_THRESHOLD:
            pause = min(BREAKER_MAX_PAUSE, BREAKER_PAUSE * 2 ** (self.failures - BREAKER_THRESHOLD))
            self.open_until = time.monotonic() + pause


@dataclass(frozen=True)
class _Deferred:
    """A delivery not attempted this round (rate limit or an open breaker), to look at again later."""

    delivery_id: str
    seconds: float


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds())


class Dispatcher:
    """Delivers due outbox rows of one service database."""

    def __init__(
        self,
        *,
        database: Database,
        tables: OutboxTables,
        settings: ServiceSettings,
        hooks: DispatchHooks | None = None,
        client: httpx.AsyncClient | None = None,
        metrics_registry: CollectorRegistry | None = None,
    ) -> None:
        self.database = database
        self.attempts = Counter(
            "webhook_delivery_attempts_total",
            "Delivery attempts by outcome (delivered, pending = will retry, failed, gone, held).",
            ["outcome"],
            registry=metrics_registry,
        )
        self.latency = Histogram(
            "webhook_delivery_seconds",
            "Time from sending a delivery to its answer.",
            registry=metrics_registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.tables = tables
        self.settings = settings
        self.hooks = hooks
        self._shared_client = client
        # One small connection pool per destination: httpcore's pool costs grow with its size squared, and a
        # slow destination then only ever holds its own connections.
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._signers: dict[str, Webhook] = {}
        self._buckets: dict[str, _Bucket] = {}
        self._breakers: dict[str, _Breaker] = {}
        self._per_target_limit = max(2, settings.dispatch_concurrency // 4)
        self._target_semaphores: dict[str, asyncio.Semaphore] = {}

    def wake(self) -> None:
        """Look for work now instead of at the next poll (called after a commit that emitted events)."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver until ``stop`` is called."""
        while not self._stopping.is_set():
            try:
                processed = await self.run_once()
            except Exception:
                log.exception("dispatch round failed")
                processed = 0
            if processed:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.dispatch_poll_seconds)

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    def _client(self, target_key: str) -> httpx.AsyncClient:
        if self._shared_client is not None:
            return self._shared_client
        client = self._clients.get(target_key)
        if client is None:
            client = self._clients[target_key] = httpx.AsyncClient(
                timeout=httpx.Timeout(10.0, connect=3.0),
                limits=httpx.Limits(
                    max_connections=self._per_target_limit, max_keepalive_connections=self._per_target_limit
                ),
                follow_redirects=False,
                headers={"user-agent": USER_AGENT},
            )
        return client

    async def run_once(self) -> int:
        """Claim one batch of due deliveries and attempt each; return how many were claimed."""
        claimed = await self._claim()
        if not claimed:
            return 0
        infos: dict[str, EndpointInfo] = {}
        endpoint_ids = {c.endpoint_id for c in claimed if c.endpoint_id}
        if endpoint_ids and self.hooks is not None:
            async with self.database.sessionmaker() as session:
                infos = await self.hooks.resolve(session, endpoint_ids)
        semaphore = asyncio.Semaphore(self.settings.dispatch_concurrency)
        outcomes = await asyncio.gather(*(self._attempt(c, infos, semaphore) for c in claimed))
        deferred = {o.delivery_id: o.seconds for o in outcomes if isinstance(o, _Deferred)}
        await self._record([o for o in outcomes if isinstance(o, AttemptResult)], deferred, claimed)
        return len(claimed)

    async def _claim(self) -> list[_Claimed]:
        d, e = self.tables.deliveries, self.tables.events
        now = clock.now()
        async with self.database.sessionmaker() as session, session.begin():
            rows = (
                await session.execute(
                    sa.select(
                        d.c.id,
                        d.c.event_id,
                        d.c.endpoint_id,
                        d.c.url,
                        d.c.attempts,
                        d.c.created_at,
                        e.c.body,
                        e.c.request_id,
                    )
                    .join(e, e.c.id == d.c.event_id)
                    .where(
                        d.c.status == DeliveryStatus.pending,
                        d.c.next_attempt_at <= now,
                        sa.or_(d.c.lease_until.is_(None), d.c.lease_until < now),
                    )
                    .order_by(d.c.next_attempt_at)
                    .limit(self.settings.dispatch_batch_size)
                    .with_for_update(skip_locked=True, of=d)
                )
            ).all()
            if not rows:
                return []
            lease_until = now + timedelta(seconds=self.settings.dispatch_lease_seconds)
            await session.execute(sa.update(d).where(d.c.id.in_([r.id for r in rows])).values(lease_until=lease_until))
        return [_Claimed(*row) for row in rows]

    def _signer(self, secret: str) -> Webhook:
        signer = self._signers.get(secret)
        if signer is None:
            signer = self._signers[secret] = Webhook(secret)
        return signer

    async def _attempt(
        self, item: _Claimed, infos: dict[str, EndpointInfo], semaphore: asyncio.Semaphore
    ) -> AttemptResult | _Deferred:
        if item.endpoint_id is None:
            secrets: Sequence[str] = [self.settings.events_secret]
        else:
            info = infos.get(item.endpoint_id)
            if info is None or not info.enabled:
                return self._result(item, DeliveryStatus.held, None, 0, None, "endpoint disabled or removed")
            secrets = info.secrets
            if info.rate_per_second:
                bucket = self._buckets.get(item.endpoint_id)
                if bucket is None or bucket.rate != info.rate_per_second:
                    bucket = self._buckets[item.endpoint_id] = _Bucket(info.rate_per_second, info.rate_per_second)
                wait = bucket.take()
                if wait:
                    # Rate limited: not an attempt, just later.
                    return _Deferred(item.id, max(wait, 0.2))
        target_key = item.endpoint_id or item.url
        breaker = self._breakers.setdefault(target_key, _Breaker())
        target_semaphore = self._target_semaphores.setdefault(target_key, asyncio.Semaphore(self._per_target_limit))
        async with semaphore, target_semaphore:
            # Checked once a slot is ours, so deliveries queued behind failing ones see the failures.
            if breaker.open_until > time.monotonic():
                return _Deferred(item.id, breaker.open_until - time.monotonic())
            result = await self._send(item, secrets)
        breaker.record(result.outcome is not DeliveryStatus.pending)
        return result

    async def _send(self, item: _Claimed, secrets: Sequence[str]) -> AttemptResult:
        now = clock.now()
        started = time.perf_counter()
        if item.endpoint_id is not None:
            try:
                await check_destination(item.url, allow_private=self.settings.webhook_allow_private)
            except DestinationRefused as exc:
                return self._failure(item, None, 0, now, None, f"destination refused: {exc}", None)
        signature = " ".join(self._signer(s).sign(item.event_id, now, item.body) for s in secrets)
        headers = {
            "content-type": "application/json",
            "webhook-id": item.event_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature,
        }
        if item.request_id:
            headers["x-request-id"] = item.request_id
        try:
            client = self._client(item.endpoint_id or item.url)
            response = await client.post(item.url, content=item.body, headers=headers)
        except httpx.HTTPError as exc:
            latency = int((time.perf_counter() - started) * 1000)
            return self._failure(item, None, latency, now, None, f"{type(exc).__name__}: {exc}"[:_EXCERPT], None)
        latency = int((time.perf_counter() - started) * 1000)
        excerpt = response.text[:_EXCERPT] if response.content else None
        if 200 <= response.status_code < 300:
            return self._result(item, DeliveryStatus.delivered, response.status_code, latency, excerpt, None, now)
        if response.status_code == 410:
            return self._result(item, DeliveryStatus.gone, 410, latency, excerpt, "endpoint answered 410 Gone", now)
        retry_after = parse_retry_after(response.headers.get("retry-after"), now)
        return self._failure(item, response.status_code, latency, now, excerpt, None, retry_after)

    def _failure(
        self,
        item: _Claimed,
        status_code: int | None,
        latency: int,
        now: datetime,
        excerpt: str | None,
        error: str | None,
        retry_after: float | None,
    ) -> AttemptResult:
        if (now - item.created_at).total_seconds() >= self.settings.dispatch_give_up_after_seconds:
            return self._result(item, DeliveryStatus.failed, status_code, latency, excerpt, error or "gave up", now)
        schedule = self.settings.dispatch_backoff_seconds
        delay = schedule[min(item.attempts, len(schedule) - 1)] * random.uniform(0.8, 1.2)
        if retry_after is not None:
            delay = min(retry_after, self.settings.dispatch_give_up_after_seconds)
        next_at = now + timedelta(seconds=delay)
        return AttemptResult(
            item.id,
            item.endpoint_id,
            item.event_id,
            item.url,
            DeliveryStatus.pending,
            status_code,
            latency,
            now,
            next_at,
            excerpt,
            error,
        )

    def _result(
        self,
        item: _Claimed,
        outcome: DeliveryStatus,
        status_code: int | None,
        latency: int,
        excerpt: str | None,
        error: str | None,
        now: datetime | None = None,
    ) -> AttemptResult:
        return AttemptResult(
            item.id,
            item.endpoint_id,
            item.event_id,
            item.url,
            outcome,
            status_code,
            latency,
            now or clock.now(),
            None,
            excerpt,
            error,
        )

    async def _record(self, results: list[AttemptResult], deferred: dict[str, float], claimed: list[_Claimed]) -> None:
        d, a = self.tables.deliveries, self.tables.attempts
        attempts_by_id = {c.id: c.attempts for c in claimed}
        now = clock.now()
        async with self.database.sessionmaker() as session, session.begin():
            if deferred:
                # Not attempted: give the lease back and look again when the limit or pause allows.
                await session.execute(
                    sa.update(d)
                    .where(d.c.id == sa.bindparam("b_id"))
                    .values(lease_until=None, next_attempt_at=sa.bindparam("b_next"), updated_at=now),
                    [{"b_id": i, "b_next": now + timedelta(seconds=wait)} for i, wait in deferred.items()],
                    execution_options={"synchronize_session": False},
                )
            if not results:
                return
            # One executemany for the whole batch: a round trip per delivery would cap throughput.
            await session.execute(
                sa.update(d)
                .where(d.c.id == sa.bindparam("b_id"))
                .values(
                    status=sa.bindparam("b_status"),
                    attempts=sa.bindparam("b_attempts"),
                    next_attempt_at=sa.bindparam("b_next"),
                    lease_until=None,
                    last_status_code=sa.bindparam("b_code"),
                    updated_at=now,
                ),
                [
                    {
                        "b_id": r.delivery_id,
                        "b_status": r.outcome.value,
                        "b_attempts": attempts_by_id[r.delivery_id] + (0 if r.outcome is DeliveryStatus.held else 1),
                        "b_next": r.next_attempt_at or r.attempted_at,
                        "b_code": r.status_code,
                    }
                    for r in results
                ],
                execution_options={"synchronize_session": False},
            )
            attempt_rows: list[dict[str, Any]] = [
                {
                    "id": new_id(),
                    "delivery_id": r.delivery_id,
                    "attempted_at": r.attempted_at,
                    "status_code": r.status_code,
                    "latency_ms": r.latency_ms,
                    "response_excerpt": r.response_excerpt,
                    "error": r.error,
                    "next_attempt_at": r.next_attempt_at,
                }
                for r in results
                if r.outcome is not DeliveryStatus.held
            ]
            if attempt_rows:
                await session.execute(sa.insert(a), attempt_rows)
            if self.hooks is not None:
                await self.hooks.after_attempts(session, results)
        for r in results:
            self.attempts.labels(r.outcome.value).inc()
            if r.outcome is not DeliveryStatus.held:
                self.latency.observe(r.latency_ms / 1000)
            log.info(
                "delivery %s",
                r.outcome,
                extra={
                    "event_id": r.event_id,
                    "delivery_id": r.delivery_id,
                    "url": r.url,
                    "status": r.status_code,
                    "latency_ms": r.latency_ms,
                },
            )

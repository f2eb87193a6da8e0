"""Delivers outbox rows as Standard Webhooks signed POSTs, at least once, with jittered backoff.

Several dispatchers may share one PostgreSQL database: each claims due deliveries with
``FOR UPDATE SKIP LOCKED`` and stamps a lease; a dispatcher that dies mid-delivery leaves rows whose lease
expires, and another picks them up and delivers them again with the same ``webhook-id``.

Fairness: ``run`` never waits for a round's slowest attempt. Each claimed delivery is attempted on its own and
recorded as soon as it ends, while the loop claims more as room frees. Every attempt holds a slot in lanes
with limits of their own (its endpoint, its destination host, its bank) besides the global one, so one bank's
slow or dead destinations hold at most their share of the slots; a delivery that cannot get its slots within
``SLOT_WAIT`` gives its claim back, and one for a congested lane or a paused endpoint or host is given back
at once, so a slow destination's backlog never holds the claims other destinations need. Bank endpoints are
reached through ``netguard.GuardedTransport``: each connection goes to an address checked just before.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import functools
import logging
import os
import random
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx
import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks import Webhook

from services.common import clock, netguard
from services.common.db import Database, new_id
from services.common.outbox import DeliveryStatus, OutboxTables
from services.common.settings import ServiceSettings

log = logging.getLogger("handover.dispatcher")

USER_AGENT = "Handover-Webhooks/1"
# An endpoint (or a destination host) failing this many times in a row is left alone for a pause that doubles
# up to the maximum, so a dead bank endpoint does not spend the attempts (and time) that live ones need.
BREAKER_THRESHOLD = 5
BREAKER_PAUSE = 5.0
BREAKER_MAX_PAUSE = 600.0
TIMEOUT = httpx.Timeout(10.0, connect=3.0)
# One attempt, from connecting to the end of the answer, never takes longer: well inside the claim's lease.
ATTEMPT_SECONDS = 15.0
# Up to this much of an answer is read, so the connection can be reused, and thrown away unread.
DRAIN_BYTES = 64 * 1024
# A claimed delivery that cannot get its slots this soon gives its claim back for that long.
SLOT_WAIT = 1.0
# A lane whose every slot has been taken for this long by attempts still running is congested: deliveries
# claimed for it are given back at once, for CONGESTED_DELAY.
CONGESTED_AFTER = 1.0
CONGESTED_DELAY = 2.0


@dataclass(frozen=True)
class EndpointInfo:
    """What the dispatcher needs to know of a registered endpoint."""

    secrets: Sequence[str]
    enabled: bool = True
    rate_per_second: float | None = None
    owner: str | None = None  # whose endpoint it is (a bank): the owner's deliveries share one lane


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
    opened_at: float = 0.0
    open_until: float = 0.0

    def record(self, ok: bool, started: float) -> None:
        """Count the end of an attempt that began at ``started`` (monotonic)."""
        if ok:
            self.failures, self.opened_at, self.open_until = 0, 0.0, 0.0
            return
        if started < self.opened_at:
            # Already under way when the pause began: its failure says nothing new, so it does not lengthen it.
            return
        self.failures += 1
        if self.failures >= BREAKER_THRESHOLD:
            pause = min(BREAKER_MAX_PAUSE, BREAKER_PAUSE * 2 ** (self.failures - BREAKER_THRESHOLD))
            self.opened_at = time.monotonic()
            self.open_until = self.opened_at + pause

    def paused_for(self) -> float:
        return max(0.0, self.open_until - time.monotonic())


@dataclass
class _Lane:
    """Attempts in flight to one endpoint, one destination host or for one bank: at most ``limit`` at once."""

    limit: int
    semaphore: asyncio.Semaphore
    started: list[float] = field(default_factory=list)  # when each attempt holding a slot began

    def congested(self, now: float) -> bool:
        return len(self.started) >= self.limit and min(self.started) < now - CONGESTED_AFTER


@dataclass(frozen=True)
class _Deferred:
    """A delivery not attempted now (rate limit, a pause, a busy lane), to look at again later."""

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


@dataclass(frozen=True, slots=True)
class Verdict:
    """What an attempt's answer decides: the delivery's new status, when to try again (pending only) and the
    note kept with the attempt."""

    outcome: DeliveryStatus
    retry_in: float | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When to try again: ``backoff[n]`` seconds after the n-th failure (the last repeats), times ``jitter``; a
    ``Retry-After`` wins when given, but never past ``give_up_after`` seconds from the event, when the delivery
    fails."""

    backoff: Sequence[float]
    give_up_after: float


def judge(
    status_code: int | None,
    *,
    error: str | None,
    retry_after: float | None,
    attempts: int,
    age_seconds: float,
    policy: RetryPolicy,
    jitter: float = 1.0,
) -> Verdict:
    """The verdict on one attempt that got ``status_code`` (None: no answer), the delivery having been tried
    ``attempts`` times before and its event ``age_seconds`` old. Pure: the dispatcher records what it says."""
    if status_code is not None and 200 <= status_code < 300:
        return Verdict(DeliveryStatus.delivered)
    if status_code == 410:
        return Verdict(DeliveryStatus.gone, error="endpoint answered 410 Gone")
    if age_seconds >= policy.give_up_after:
        return Verdict(DeliveryStatus.failed, error=error or "gave up")
    delay = policy.backoff[min(attempts, len(policy.backoff) - 1)] * jitter
    if retry_after is not None:
        delay = min(retry_after, policy.give_up_after)
    return Verdict(DeliveryStatus.pending, delay, error)


def failure_note(exc: BaseException) -> str:
    """A fixed note for an attempt that got no answer: never words of the destination's."""
    if isinstance(exc, netguard.DestinationRefused):
        return f"destination refused: {exc}"
    if isinstance(exc, httpx.ConnectTimeout):
        return "connecting timed out"
    if isinstance(exc, httpx.ConnectError):
        return "could not connect"
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return "no answer in time"
    if isinstance(exc, httpx.ProtocolError):
        return "the answer was not valid HTTP"
    return "the request failed"


@functools.cache
def _trusted(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    """The TLS context of every delivery (httpx's: certifi, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``), made once
    per process for each value of those: loading the certificates takes a tenth of a second."""
    return httpx.create_ssl_context()


# Per request: the timeouts an httpx client would have set (requests go to the transport directly).
_EXTENSIONS = {"timeout": TIMEOUT.as_dict()}


@functools.lru_cache(maxsize=1024)
def _signer(secret: str) -> Webhook:
    return Webhook(secret)


@functools.lru_cache(maxsize=4096)
def _signature(secret: str, event_id: str, timestamp: int, body: str) -> str:
    """The Standard Webhooks signature of one event at one second with one secret: an event goes to several
    endpoints (often of one bank, with one secret) within the same second, so it is signed once for them all."""
    return _signer(secret).sign(event_id, datetime.fromtimestamp(timestamp, UTC), body)


def _origin(url: str) -> str:
    """The destination host of a URL: scheme, host and port."""
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.host}:{parsed.port or netguard.DEFAULT_PORTS.get(parsed.scheme, 0)}"


class Dispatcher:
    """Delivers due outbox rows of one service database."""

    def __init__(
        self,
        *,
        database: Database,
        tables: OutboxTables,
        settings: ServiceSettings,
        hooks: DispatchHooks | None = None,
        resolver: netguard.Resolver = netguard.resolve,
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
        self._backend = netguard.GuardedBackend(allow_private=settings.webhook_allow_private, resolver=resolver)
        # One small connection pool per destination: httpcore's pool costs grow with its size squared, and a
        # slow destination then only ever holds its own connections. Requests go to the transport itself: an
        # httpx client would add cookies, redirects and auth machinery that a delivery never uses.
        self._transports: dict[str, httpx.AsyncBaseTransport] = {}
        self._urls: dict[str, httpx.URL] = {}
        self._ssl_context = _trusted(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
        self._signal = asyncio.Event()
        self._stopping = asyncio.Event()
        self._buckets: dict[str, _Bucket] = {}
        self._breakers: dict[str, _Breaker] = {}
        concurrency = settings.dispatch_concurrency
        quarter, half = max(2, concurrency // 4), max(2, concurrency // 2)
        self._lane_limits = {"endpoint": quarter, "host": half, "owner": half}
        self._lanes: dict[tuple[str, str], _Lane] = {}
        self._global = asyncio.Semaphore(concurrency)
        self._origins: dict[str, str] = {}
        self._tasks: set[asyncio.Task[AttemptResult | _Deferred]] = set()
        self._in_flight: dict[str, _Claimed] = {}
        self._finished: list[AttemptResult | _Deferred] = []

    def wake(self) -> None:
        """Look for work now instead of at the next poll (called after a commit that emitted events)."""
        self._signal.set()

    async def run(self) -> None:
        """Deliver until ``stop`` is called; then finish the attempts in flight and record them."""
        batch = self.settings.dispatch_batch_size
        while not self._stopping.is_set():
            try:
                await self._flush()
                room = batch - len(self._tasks)
                # Claims wait for a quarter of the batch to be free: a claim per finished attempt would cost
                # a database round trip per delivery.
                if (room >= max(1, batch // 4) or not self._tasks) and await self._claim_and_start(room) == room:
                    continue
            except Exception:
                log.exception("dispatch round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._signal.wait(), timeout=self.settings.dispatch_poll_seconds)
            self._signal.clear()
        await self._drain()

    async def run_once(self) -> int:
        """Claim one batch of due deliveries, attempt each and record them all; return how many were claimed."""
        claimed = await self._claim_and_start(self.settings.dispatch_batch_size)
        await self._drain()
        return claimed

    async def stop(self) -> None:
        self._stopping.set()
        self._signal.set()

    async def aclose(self) -> None:
        for transport in self._transports.values():
            await transport.aclose()
        self._transports.clear()

    def _transport(self, item: _Claimed) -> httpx.AsyncBaseTransport:
        key = item.endpoint_id or item.url
        transport = self._transports.get(key)
        if transport is None:
            limits = httpx.Limits(
                max_connections=self._lane_limits["endpoint"], max_keepalive_connections=self._lane_limits["endpoint"]
            )
            # Peers are configured at deploy time; only bank endpoints, registered through the API, are guarded.
            if item.endpoint_id:
                transport = netguard.GuardedTransport(self._backend, limits=limits, ssl_context=self._ssl_context)
            else:
                transport = httpx.AsyncHTTPTransport(verify=self._ssl_context, limits=limits)
            self._transports[key] = transport
        return transport

    def _url(self, url: str) -> httpx.URL:
        parsed = self._urls.get(url)
        if parsed is None:
            parsed = self._urls[url] = httpx.URL(url)
        return parsed

    async def _drain(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._flush()

    async def _claim_and_start(self, limit: int) -> int:
        """Claim up to ``limit`` due deliveries and start an attempt of each that may go now; return how many
        were claimed."""
        claimed = await self._claim(limit)
        if not claimed:
            return 0
        infos: dict[str, EndpointInfo] = {}
        endpoint_ids = {c.endpoint_id for c in claimed if c.endpoint_id}
        if endpoint_ids and self.hooks is not None:
            async with self.database.sessionmaker() as session:
                infos = await self.hooks.resolve(session, endpoint_ids)
        for item in claimed:
            self._start(item, infos)
        return len(claimed)

    def _start(self, item: _Claimed, infos: dict[str, EndpointInfo]) -> None:
        self._in_flight[item.id] = item
        owner: str | None = None
        if item.endpoint_id is None:
            secrets: Sequence[str] = [self.settings.events_secret]
        else:
            info = infos.get(item.endpoint_id)
            if info is None or not info.enabled:
                held = Verdict(DeliveryStatus.held, error="endpoint disabled or removed")
                self._finished.append(self._result(item, held, None, 0, clock.now()))
                return
            secrets, owner = info.secrets, info.owner
            if info.rate_per_second:
                bucket = self._buckets.get(item.endpoint_id)
                if bucket is None or bucket.rate != info.rate_per_second:
                    bucket = self._buckets[item.endpoint_id] = _Bucket(info.rate_per_second, info.rate_per_second)
                wait = bucket.take()
                if wait:
                    # Rate limited: not an attempt, just later.
                    self._finished.append(_Deferred(item.id, max(wait, 0.2)))
                    return
        breakers, lanes = self._paths(item, owner)
        deferral = self._deferral(breakers, lanes)
        if deferral is not None:
            self._finished.append(_Deferred(item.id, deferral))
            return
        task = asyncio.create_task(self._attempt(item, secrets, breakers, lanes), name=item.id)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _paths(self, item: _Claimed, owner: str | None) -> tuple[list[tuple[_Breaker, bool]], list[_Lane]]:
        """The breakers that judge an attempt (each with whether an answer of any status counts as success)
        and the lanes it holds a slot in, in the order they are taken."""
        endpoint_key = item.endpoint_id or item.url
        breakers = [(self._breakers.setdefault(f"endpoint:{endpoint_key}", _Breaker()), False)]
        lanes = [self._lane("endpoint", endpoint_key)]
        if item.endpoint_id is not None:
            origin = self._origins.get(item.url)
            if origin is None:
                origin = self._origins[item.url] = _origin(item.url)
            # A host that answers is alive, whatever the status: only silence counts against the host.
            breakers.append((self._breakers.setdefault(f"host:{origin}", _Breaker()), True))
            lanes.append(self._lane("host", origin))
            if owner is not None:
                lanes.append(self._lane("owner", owner))
        return breakers, lanes

    def _lane(self, kind: str, key: str) -> _Lane:
        lane = self._lanes.get((kind, key))
        if lane is None:
            limit = self._lane_limits[kind]
            lane = self._lanes[(kind, key)] = _Lane(limit, asyncio.Semaphore(limit))
        return lane

    @staticmethod
    def _deferral(breakers: list[tuple[_Breaker, bool]], lanes: list[_Lane]) -> float | None:
        """Seconds to give a delivery back for, when a breaker on its path is open or a lane congested."""
        paused = max(breaker.paused_for() for breaker, _ in breakers)
        if paused:
            return paused
        now = time.monotonic()
        if any(lane.congested(now) for lane in lanes):
            return CONGESTED_DELAY
        return None

    def _done(self, task: asyncio.Task[AttemptResult | _Deferred]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is None:
            self._finished.append(task.result())
        elif not task.cancelled():
            # Not recorded: the claim's lease runs out and the delivery is attempted again.
            self._in_flight.pop(task.get_name(), None)
            log.error("delivery attempt failed", exc_info=task.exception())
        self._signal.set()

    async def _claim(self, limit: int | None = None) -> list[_Claimed]:
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
                    .limit(limit or self.settings.dispatch_batch_size)
                    .with_for_update(skip_locked=True, of=d)
                )
            ).all()
            if not rows:
                return []
            lease_until = now + timedelta(seconds=self.settings.dispatch_lease_seconds)
            await session.execute(sa.update(d).where(d.c.id.in_([r.id for r in rows])).values(lease_until=lease_until))
        return [_Claimed(*row) for row in rows]

    async def _attempt(
        self,
        item: _Claimed,
        secrets: Sequence[str],
        breakers: list[tuple[_Breaker, bool]],
        lanes: list[_Lane],
    ) -> AttemptResult | _Deferred:
        async with contextlib.AsyncExitStack() as slots:
            try:
                async with asyncio.timeout(SLOT_WAIT):
                    for semaphore in [*(lane.semaphore for lane in lanes), self._global]:
                        await semaphore.acquire()
                        slots.callback(semaphore.release)
            except TimeoutError:
                return _Deferred(item.id, SLOT_WAIT)
            # Checked again once the slots are ours, so deliveries queued behind failing ones see the failures.
            deferral = self._deferral(breakers, [])
            if deferral is not None:
                return _Deferred(item.id, deferral)
            started = time.monotonic()
            for lane in lanes:
                lane.started.append(started)
            try:
                result = await self._send(item, secrets)
            finally:
                for lane in lanes:
                    lane.started.remove(started)
        for breaker, any_answer in breakers:
            answered = result.status_code is not None
            breaker.record(answered if any_answer else result.outcome is not DeliveryStatus.pending, started)
        return result

    async def _send(self, item: _Claimed, secrets: Sequence[str]) -> AttemptResult:
        now = clock.now()
        started = time.perf_counter()
        timestamp = int(now.timestamp())
        headers = {
            "user-agent": USER_AGENT,
            "content-type": "application/json",
            "webhook-id": item.event_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": " ".join(_signature(s, item.event_id, timestamp, item.body) for s in secrets),
        }
        if item.request_id:
            headers["x-request-id"] = item.request_id
        transport = self._transport(item)
        try:
            async with asyncio.timeout(ATTEMPT_SECONDS):
                request = httpx.Request(
                    "POST", self._url(item.url), content=item.body, headers=headers, extensions=_EXTENSIONS
                )
                response = await transport.handle_async_request(request)
                try:
                    # Read (and drop) a little of the answer so the connection can be kept: nothing of what a
                    # destination says is kept or shown, so the dispatcher reads no internal page for anyone.
                    read = 0
                    async for chunk in response.stream:  # type: ignore[union-attr]
                        read += len(chunk)
                        if read > DRAIN_BYTES:
                            break
                finally:
                    await response.aclose()
        except (httpx.HTTPError, netguard.DestinationRefused, TimeoutError) as exc:
            latency = int((time.perf_counter() - started) * 1000)
            return self._result(item, self._judge(item, None, failure_note(exc), None, now), None, latency, now)
        latency = int((time.perf_counter() - started) * 1000)
        note = "redirects are not followed" if response.is_redirect else None
        retry_after = parse_retry_after(response.headers.get("retry-after"), now)
        verdict = self._judge(item, response.status_code, note, retry_after, now)
        return self._result(item, verdict, response.status_code, latency, now)

    def _judge(
        self, item: _Claimed, status_code: int | None, error: str | None, retry_after: float | None, now: datetime
    ) -> Verdict:
        return judge(
            status_code,
            error=error,
            retry_after=retry_after,
            attempts=item.attempts,
            age_seconds=(now - item.created_at).total_seconds(),
            policy=RetryPolicy(self.settings.dispatch_backoff_seconds, self.settings.dispatch_give_up_after_seconds),
            jitter=random.uniform(0.8, 1.2),
        )

    @staticmethod
    def _result(
        item: _Claimed, verdict: Verdict, status_code: int | None, latency: int, now: datetime
    ) -> AttemptResult:
        return AttemptResult(
            delivery_id=item.id,
            endpoint_id=item.endpoint_id,
            event_id=item.event_id,
            url=item.url,
            outcome=verdict.outcome,
            status_code=status_code,
            latency_ms=latency,
            attempted_at=now,
            next_attempt_at=None if verdict.retry_in is None else now + timedelta(seconds=verdict.retry_in),
            error=verdict.error,
        )

    async def _flush(self) -> None:
        """Record what has ended since the last flush, in one transaction."""
        if not self._finished:
            return
        finished, self._finished = self._finished, []
        results = [f for f in finished if isinstance(f, AttemptResult)]
        deferred = {f.delivery_id: f.seconds for f in finished if isinstance(f, _Deferred)}
        attempts = {f.delivery_id: self._in_flight.pop(f.delivery_id).attempts for f in finished}
        await self._record(results, deferred, attempts)

    async def _record(self, results: list[AttemptResult], deferred: dict[str, float], attempts: dict[str, int]) -> None:
        now = clock.now()
        async with self.database.sessionmaker() as session, session.begin():
            if deferred:
                await self._release(session, deferred, now)
            if not results:
                return
            await self._write_results(session, results, attempts, now)
            if self.hooks is not None:
                await self.hooks.after_attempts(session, results)
        self._observe(results)

    async def _release(self, session: AsyncSession, deferred: dict[str, float], now: datetime) -> None:
        """Not attempted: give the lease back and look again when the limit or pause allows."""
        d = self.tables.deliveries
        await session.execute(
            sa.update(d)
            .where(d.c.id == sa.bindparam("b_id"))
            .values(lease_until=None, next_attempt_at=sa.bindparam("b_next"), updated_at=now),
            [{"b_id": i, "b_next": now + timedelta(seconds=wait)} for i, wait in deferred.items()],
            execution_options={"synchronize_session": False},
        )

    async def _write_results(
        self, session: AsyncSession, results: list[AttemptResult], attempts: dict[str, int], now: datetime
    ) -> None:
        """Each delivery's new state and each attempt's row: one executemany per table for the whole batch, since
        a round trip per delivery would cap throughput."""
        d, a = self.tables.deliveries, self.tables.attempts
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
                    "b_attempts": attempts[r.delivery_id] + (0 if r.outcome is DeliveryStatus.held else 1),
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
                "error": r.error,
                "next_attempt_at": r.next_attempt_at,
            }
            for r in results
            if r.outcome is not DeliveryStatus.held
        ]
        if attempt_rows:
            await session.execute(sa.insert(a), attempt_rows)

    def _observe(self, results: list[AttemptResult]) -> None:
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

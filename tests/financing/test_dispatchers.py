"""Several dispatchers on one PostgreSQL database share the deliveries: none lost, none sent twice except
when a dispatcher died between sending and recording (at least once)."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.common.db import Database
from services.common.dispatcher import Dispatcher
from services.common.events import EventType
from services.financing.app import MIGRATIONS, create_financing_app
from services.financing.models import OUTBOX
from services.financing.settings import FinancingSettings
from services.financing.webhooks.hooks import EndpointHooks
from tests.financing.conftest import REGISTRY_URL, Financing, Receiver
from tests.support import processes
from tests.support.apps import running
from tests.support.peers import ProjectsMock, registry_project

pytestmark = [pytest.mark.postgres, pytest.mark.processes]

EVENTS = 1_000


@pytest.fixture
def pg_settings(postgres_factory: Callable[..., str]) -> FinancingSettings:
    return FinancingSettings(
        database_url=postgres_factory("financing", MIGRATIONS),
        run_dispatcher=False,
        subscribers=[],
        registry_url=REGISTRY_URL,
        dispatch_backoff_seconds=[0.05],
    )


async def _emit(financing: Financing, bank: str, count: int) -> set[str]:
    """``count`` events for ``bank`` over a hundred projects, in one transaction; their ids."""
    projects = [registry_project()["id"] for _ in range(100)]
    ids: set[str] = set()
    outbox = financing.app.state.outbox
    async with financing.app.state.database.sessionmaker() as session, session.begin():
        for i in range(count):
            data = {"bank": bank, "n": i}
            event = await outbox.emit(session, EventType.disbursement_recorded, data, project_id=projects[i % 100])
            ids.add(event.id)
    return ids


def _dispatcher_process(tmp_path: Path, settings: FinancingSettings) -> processes.Process:
    port = processes.free_port()
    env = {
        **os.environ,
        "FINANCING_DATABASE_URL": settings.database_url,
        "FINANCING_PORT": str(port),
        "FINANCING_DISPATCH_BACKOFF_SECONDS": "[0.05]",
        "FINANCING_DISPATCH_BATCH_SIZE": "50",
        "FINANCING_DISPATCH_POLL_SECONDS": "0.05",
        "HANDOVER_WEBHOOK_ALLOW_PRIVATE": "true",
    }
    args = [sys.executable, "-m", "services.financing", "--no-migrate", "--dispatcher-only"]
    return processes.Process(args, env, tmp_path / f"dispatcher-{port}.log", f"http://127.0.0.1:{port}")


@pytest.fixture
def dispatcher_processes(tmp_path: Path, pg_settings: FinancingSettings) -> Iterator[list[processes.Process]]:
    started = [_dispatcher_process(tmp_path, pg_settings) for _ in range(2)]
    yield started
    for process in started:
        process.stop()


def _delivered_by(process: processes.Process) -> float:
    metrics = httpx.get(process.url + "/metrics", timeout=5).text
    for line in metrics.splitlines():
        if line.startswith('webhook_delivery_attempts_total{outcome="delivered"}'):
            return float(line.split()[-1])
    return 0.0


async def test_two_dispatcher_processes_deliver_a_thousand_events_once_each(
    pg_settings: FinancingSettings,
    registry_mock: ProjectsMock,
    start_receiver: Callable[..., Receiver],
    dispatcher_processes: list[processes.Process],
) -> None:
    app = create_financing_app(pg_settings)
    async with running(app) as client:
        financing = Financing(client, pg_settings.database_url, app, registry_mock)
        bank = await financing.bank()
        endpoint = await financing.endpoint(bank, "http://127.0.0.1:9/placeholder", ["disbursement.recorded"])
        receiver = start_receiver([endpoint["secret"]])
        await financing.client.patch(
            f"/v1/webhook-endpoints/{endpoint['id']}", json={"url": receiver.url}, headers=financing.admin
        )
        # Both dispatchers are up and polling before the first event lands, so neither has the whole queue to
        # itself while the other is still importing.
        await asyncio.gather(*(asyncio.to_thread(process.start) for process in dispatcher_processes))
        emitted = await _emit(financing, bank, EVENTS)
        deadline = time.monotonic() + 90
        while await financing.count("outbox_deliveries", "WHERE status = 'delivered'") < EVENTS:
            assert time.monotonic() < deadline, "the dispatchers did not deliver everything in time"
            await asyncio.sleep(0.2)
        received = receiver.received()
        by_id = Counter(r["webhook_id"] for r in received)
        assert set(by_id) == emitted
        assert [i for i, n in by_id.items() if n > 1] == []
        shares = [await asyncio.to_thread(_delivered_by, p) for p in dispatcher_processes]
        assert sum(shares) == EVENTS
        assert all(share > 0 for share in shares), shares


async def test_a_dispatcher_dying_mid_delivery_leaves_nothing_stuck(
    pg_settings: FinancingSettings, registry_mock: ProjectsMock, start_receiver: Callable[..., Receiver]
) -> None:
    # A lease short enough to wait out, long enough for the doomed dispatcher's sends on a busy machine.
    settings = pg_settings.model_copy(update={"dispatch_lease_seconds": 3})
    app = create_financing_app(settings)
    async with running(app) as client:
        financing = Financing(client, settings.database_url, app, registry_mock)
        bank = await financing.bank()
        endpoint = await financing.endpoint(bank, "http://127.0.0.1:9/placeholder", ["disbursement.recorded"])
        receiver = start_receiver([endpoint["secret"]])
        await financing.client.patch(
            f"/v1/webhook-endpoints/{endpoint['id']}", json={"url": receiver.url}, headers=financing.admin
        )
        emitted = await _emit(financing, bank, 20)
        doomed_db = Database(settings.database_url)
        doomed = Dispatcher(database=doomed_db, tables=OUTBOX, settings=settings, hooks=EndpointHooks(settings))
        survivor_db = Database(settings.database_url)
        survivor = Dispatcher(database=survivor_db, tables=OUTBOX, settings=settings, hooks=EndpointHooks(settings))
        try:
            # The doomed dispatcher claims and sends half the batch, then dies before recording anything.
            claimed = await doomed._claim()
            assert len(claimed) == 20
            infos: dict[str, Any] = {}
            async with doomed_db.sessionmaker() as session:
                infos = await doomed.hooks.resolve(session, {endpoint["id"]})  # type: ignore[union-attr]
            for item in claimed[:10]:
                await doomed._send(item, infos[endpoint["id"]].secrets)
            assert await survivor.run_once() == 0, "leased deliveries must not be claimed twice"
            await asyncio.sleep(3.1)
            while await survivor.run_once():
                pass
        finally:
            await doomed.aclose()
            await survivor.aclose()
            await doomed_db.dispose()
            await survivor_db.dispose()
        assert await financing.count("outbox_deliveries", "WHERE status = 'delivered'") == 20
        by_id = Counter(r["webhook_id"] for r in receiver.received())
        assert set(by_id) == emitted
        assert sorted(by_id.values()) == [1] * 10 + [2] * 10

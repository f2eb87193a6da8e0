"""Webhook fairness: one bank's slow or dead endpoints do not delay another bank's deliveries."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from services.common.db import Database
from services.common.dispatcher import Dispatcher
from services.common.events import EventType
from services.financing.models import OUTBOX
from services.financing.webhooks.hooks import EndpointHooks
from tests.financing import conftest as financing_fixtures
from tests.financing.conftest import Financing, Receiver
from tests.support import processes
from tests.support.apps import auth

registry_mock = financing_fixtures.registry_mock
financing_settings = financing_fixtures.financing_settings
financing_factory = financing_fixtures.financing_factory
start_receiver = financing_fixtures.start_receiver

# Accepts every connection and never answers: what a bank's endpoints look like when they hang.
TARPIT = """
import asyncio, sys

held = []

async def hold(reader, writer):
    held.append(writer)
    await asyncio.Event().wait()

async def main():
    server = await asyncio.start_server(hold, "127.0.0.1", int(sys.argv[1]), backlog=1024)
    async with server:
        await server.serve_forever()

asyncio.run(main())
"""


@pytest.fixture
def tarpit(tmp_path: Path) -> Iterator[str]:
    """The base URL of a server that accepts connections and never answers."""
    port = processes.free_port()
    script = tmp_path / "tarpit.py"
    script.write_text(TARPIT)
    popen = subprocess.Popen([sys.executable, str(script), str(port)], env=dict(os.environ))
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            assert time.monotonic() < deadline and popen.poll() is None, "the tarpit did not start"
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    popen.terminate()
    popen.wait(10)


async def _emit(financing: Financing, bank: str, count: int = 1) -> None:
    outbox = financing.app.state.outbox
    async with financing.app.state.database.sessionmaker() as session, session.begin():
        for n in range(count):
            await outbox.emit(session, EventType.disbursement_recorded, {"bank": bank, "n": n})


async def test_a_bank_may_register_only_so_many_endpoints(financing_factory: Callable[..., Any]) -> None:
    async with financing_factory(max_endpoints_per_bank=3) as financing:
        bank, other = await financing.bank(), await financing.bank()
        endpoints = [await financing.endpoint(bank, f"http://127.0.0.1:9/{n}") for n in range(2)]
        disabled = await financing.endpoint(bank, "http://127.0.0.1:9/off", enabled=False)
        for headers, body in (
            (auth("bank", bank=bank), {}),
            (financing.admin, {"bank": bank}),
        ):
            refused = await financing.client.post(
                "/v1/webhook-endpoints",
                json={"url": "http://127.0.0.1:9/more", "event_types": ["credit_line.approved"], **body},
                headers=headers,
            )
            assert refused.status_code == 409, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.json()["type"].endswith("endpoint-limit")
        assert await financing.count("webhook_endpoints", f"WHERE bank = '{bank}'") == 3
        await financing.endpoint(other, "http://127.0.0.1:9/other")
        removed = await financing.client.delete(
            f"/v1/webhook-endpoints/{disabled['id']}", headers=auth("bank", bank=bank)
        )
        assert removed.status_code == 204
        await financing.endpoint(bank, "http://127.0.0.1:9/again")
        assert await financing.count("webhook_endpoints", f"WHERE bank = '{bank}'") == 3
        assert len(endpoints) == 2


async def test_a_host_that_does_not_answer_is_paused_for_every_endpoint_on_it(
    financing_factory: Callable[..., Any],
) -> None:
    dead = f"http://127.0.0.1:{processes.free_port()}"
    async with financing_factory() as financing:
        failing_bank, other_bank = await financing.bank(), await financing.bank()
        await financing.endpoint(failing_bank, f"{dead}/a", ["disbursement.recorded"])
        other = await financing.endpoint(other_bank, f"{dead}/b", ["disbursement.recorded"])
        settings = financing.app.state.settings
        database = Database(settings.database_url)
        dispatcher = Dispatcher(database=database, tables=OUTBOX, settings=settings, hooks=EndpointHooks(settings))
        try:
            await _emit(financing, failing_bank, 5)
            assert await dispatcher.run_once() == 5
            await _emit(financing, other_bank)
            await dispatcher.run_once()
        finally:
            await dispatcher.aclose()
            await database.dispose()
        listing = await financing.client.get(
            f"/v1/webhook-endpoints/{other['id']}/deliveries", headers=auth("bank", bank=other_bank)
        )
    # The other endpoint never failed itself: its delivery waits for the host's pause, unattempted.
    [waiting] = listing.json()["items"]
    assert waiting["status"] == "pending" and waiting["attempts"] == []
    paused = datetime.fromisoformat(waiting["next_attempt_at"]) - datetime.fromisoformat(waiting["created_at"])
    assert paused.total_seconds() > 3


def _dispatcher(tmp_path: Path, database_url: str) -> processes.Process:
    """A financing dispatcher process with the production defaults for batches and concurrency."""
    port = processes.free_port()
    env = {
        **os.environ,
        "FINANCING_DATABASE_URL": database_url,
        "FINANCING_PORT": str(port),
        "FINANCING_DISPATCH_POLL_SECONDS": "0.1",
        "HANDOVER_WEBHOOK_ALLOW_PRIVATE": "true",
    }
    args = [sys.executable, "-m", "services.financing", "--no-migrate", "--dispatcher-only"]
    return processes.Process(args, env, tmp_path / f"dispatcher-{port}.log", f"http://127.0.0.1:{port}")


async def test_a_bank_whose_endpoints_hang_does_not_hold_another_banks_delivery(
    financing_factory: Callable[..., Any],
    start_receiver: Callable[..., Receiver],
    tarpit: str,
    tmp_path: Path,
) -> None:
    async with financing_factory() as financing:
        hanging_bank, live_bank = await financing.bank(), await financing.bank()
        limit = financing.app.state.settings.max_endpoints_per_bank
        for n in range(limit):
            await financing.endpoint(hanging_bank, f"{tarpit}/hook/{n}", ["disbursement.recorded"])
        live = await financing.endpoint(live_bank, "http://127.0.0.1:9/placeholder", ["disbursement.recorded"])
        receiver = start_receiver([live["secret"]])
        await financing.client.patch(
            f"/v1/webhook-endpoints/{live['id']}", json={"url": receiver.url}, headers=financing.admin
        )
        # A backlog for the hanging bank first: with a round that waits for its slowest attempt, the live
        # bank's delivery would wait behind a minute of hung connections.
        await _emit(financing, hanging_bank, 40)
        await _emit(financing, live_bank)
        dispatcher = _dispatcher(tmp_path, financing.url)
        await asyncio.to_thread(dispatcher.start)
        started = time.monotonic()
        try:
            while not receiver.received():
                assert time.monotonic() - started < 20, "the live bank's delivery was held"
                await asyncio.sleep(0.1)
            waited = time.monotonic() - started
        finally:
            dispatcher.stop()
    assert [r["answered"] for r in receiver.received()] == [200]
    # A hung attempt alone takes ten seconds to time out; a dispatcher whose rounds wait for their slowest
    # attempt has the live bank wait at least that. Here it waits for a second or two (more on a busy machine).
    assert waited < 8, waited

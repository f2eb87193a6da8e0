"""The outbox and dispatcher, exercised through the registry: events exist iff the change commits, and are
delivered at least once, signed, with the same webhook-id on every retry."""

from __future__ import annotations

import asyncio
import email.utils
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import sqlalchemy as sa
import time_machine

from services.common import clock
from services.common.events import EventType
from services.common.settings import DEV_EVENTS_SECRET, Subscriber
from services.registry.app import create_registry_app
from services.registry.models import OUTBOX
from services.registry.settings import RegistrySettings
from tests.registry.conftest import Registry
from tests.support import factories, processes
from tests.support.apps import running
from tests.support.signing import FORGED_SECRET, SignedEvent, signed_event

PEER = "http://peer.test/v1/inbox"


async def _deliver_until(registry: Registry, predicate: Callable[[], Any], rounds: int = 100) -> None:
    for _ in range(rounds):
        await registry.app.state.dispatcher.run_once()
        if await predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("deliveries did not settle")


@pytest.fixture
def receiver_500_twice(tmp_path: Path) -> Any:
    process = processes.receiver(tmp_path, [DEV_EVENTS_SECRET], plan=[500, 500])
    yield process
    process.stop()


async def test_event_written_only_when_the_change_commits(registry: Registry) -> None:
    outbox = registry.app.state.outbox
    async with registry.app.state.database.sessionmaker() as session:
        await outbox.emit(session, EventType.project_facts_changed, {"cause": "test"}, project_id=None)
        await session.rollback()
    assert await registry.count(OUTBOX.events) == 0
    developer = await registry.developer()
    refused = await registry.client.post(
        "/v1/projects", json=factories.project(developer["id"], sold_units=5000), headers=registry.admin
    )
    assert refused.status_code == 422
    assert await registry.count(OUTBOX.events) == 0
    project = await registry.project()
    events = OUTBOX.events
    rows = await registry.rows(sa.select(events.c.type, events.c.project_id, events.c.sequence))
    assert [(r.type, r.project_id, r.sequence) for r in rows] == [("project.facts_changed", project["id"], 1)]


@pytest.mark.processes
async def test_failed_deliveries_are_retried_with_the_same_webhook_id(
    registry_settings: Callable[..., RegistrySettings], receiver_500_twice: processes.Process
) -> None:
    settings = registry_settings(
        subscribers=[Subscriber(url=receiver_500_twice.url + "/webhooks", types=["project.facts_changed"])],
        dispatch_backoff_seconds=[0.05],
    )
    app = create_registry_app(settings)
    async with running(app) as client:
        registry = Registry(client, settings.database_url, app)
        project = await registry.project()

        async def delivered() -> bool:
            return await registry.count(OUTBOX.deliveries, OUTBOX.deliveries.c.status == "delivered") == 1

        await _deliver_until(registry, delivered)
        async with httpx.AsyncClient() as http:
            received = (await http.get(receiver_500_twice.url + "/received")).json()
        assert [r["answered"] for r in received] == [500, 500, 200]
        assert len({r["webhook_id"] for r in received}) == 1
        assert all(r["secret_index"] == 0 for r in received)
        assert received[-1]["data"]["project_id"] == project["id"]
        assert received[-1]["data"]["sequence"] == 1
        assert [a.status_code for a in await _attempts(registry)] == [500, 500, 200]


async def test_inbox_refuses_bad_signatures_and_applies_once(registry: Registry) -> None:
    project = await registry.project()
    url = f"/v1/projects/{project['id']}"

    def tier(sequence: int, value: str, **signing: Any) -> SignedEvent:
        data = {"project_id": project["id"], "sequence": sequence, "tier": value}
        return signed_event("project.risk_tier_changed", data, **signing)

    for refused in (
        tier(5, "red", secret=FORGED_SECRET),
        tier(5, "red", at=clock.now() - timedelta(minutes=6)),
        tier(5, "red", at=clock.now() + timedelta(minutes=6)),
    ):
        response = await registry.inbox(refused)
        assert response.status_code == 401, refused.headers
        assert response.headers["content-type"] == "application/problem+json"
    assert (await registry.client.get(url, headers=registry.admin)).json()["risk_tier"] is None
    assert await registry.count(OUTBOX.inbox) == 0

    first = await registry.inbox(tier(2, "orange", webhook_id="msg_1", at=clock.now() - timedelta(minutes=4)))
    assert first.json()["status"] == "applied"
    again = await registry.inbox(tier(2, "orange", webhook_id="msg_1"))
    assert again.json()["status"] == "duplicate"
    stale = await registry.inbox(tier(1, "green", webhook_id="msg_0"))
    assert stale.status_code == 200
    assert (await registry.client.get(url, headers=registry.admin)).json()["risk_tier"] == "orange"
    assert await registry.count(OUTBOX.inbox) == 2


async def test_sequences_are_per_project_and_no_change_emits_nothing(registry: Registry) -> None:
    first = await registry.project()
    second = await registry.project()
    for progress in ("55.0", "60.0", "60.0"):
        response = await registry.client.patch(
            f"/v1/projects/{first['id']}", json={"progress_pct": progress}, headers=registry.admin
        )
        assert response.status_code == 200
    events = OUTBOX.events
    async with registry.app.state.database.sessionmaker() as session:
        rows = (await session.execute(sa.select(events.c.project_id, events.c.sequence))).all()
    by_project: dict[str, list[int]] = {}
    for project_id, sequence in rows:
        by_project.setdefault(project_id, []).append(sequence)
    assert sorted(by_project[first["id"]]) == [1, 2, 3]
    assert by_project[second["id"]] == [1]


async def test_a_dead_destination_is_paused_after_a_few_failures(
    registry_settings: Callable[..., RegistrySettings],
) -> None:
    from services.common.dispatcher import BREAKER_THRESHOLD
    from tests.support.processes import free_port

    dead = f"http://127.0.0.1:{free_port()}/v1/inbox"
    settings = registry_settings(
        subscribers=[Subscriber(url=dead, types=["project.facts_changed"])], dispatch_concurrency=2
    )
    app = create_registry_app(settings)
    async with running(app) as client:
        registry = Registry(client, settings.database_url, app)
        for _ in range(12):
            await registry.project()
        await registry.app.state.dispatcher.run_once()
        attempted = await registry.count(OUTBOX.attempts)
        deliveries = OUTBOX.deliveries
        assert BREAKER_THRESHOLD <= attempted < 12, "after the threshold the rest wait instead of being attempted"
        assert (
            await registry.count(deliveries, deliveries.c.status == "pending", deliveries.c.lease_until.is_(None)) == 12
        )
        assert await registry.count(deliveries, deliveries.c.attempts == 0) == 12 - attempted


def _peer(registry_settings: Callable[..., RegistrySettings], **overrides: Any) -> RegistrySettings:
    """Settings with one peer inbox (mocked with respx) subscribed to every project event."""
    return registry_settings(subscribers=[Subscriber(url=PEER, types=["project.facts_changed"])], **overrides)


async def _attempts(registry: Registry) -> list[Any]:
    attempts = OUTBOX.attempts
    statement = sa.select(attempts.c.attempted_at, attempts.c.next_attempt_at, attempts.c.status_code)
    return await registry.rows(statement.order_by(attempts.c.attempted_at))


@pytest.mark.parametrize("form", ["delta-seconds", "HTTP-date"])
async def test_retry_after_decides_when_the_next_attempt_is(
    registry_settings: Callable[..., RegistrySettings], form: str
) -> None:
    wait = timedelta(seconds=300)
    settings = _peer(registry_settings, dispatch_backoff_seconds=[5])
    with respx.mock(assert_all_called=False) as router:
        app = create_registry_app(settings)
        async with running(app) as client:
            registry = Registry(client, settings.database_url, app)
            # After the caller's token was minted: travelling to before it would make the token not valid yet.
            start = clock.now().replace(microsecond=0) + timedelta(seconds=1)
            retry_after = "300" if form == "delta-seconds" else email.utils.format_datetime(start + wait, usegmt=True)
            inbox = router.post(PEER).mock(
                side_effect=[httpx.Response(503, headers={"Retry-After": retry_after}), httpx.Response(200)]
            )
            with time_machine.travel(start, tick=False):
                await registry.project()
                await registry.app.state.dispatcher.run_once()
            ((attempted_at, next_attempt_at, status),) = await _attempts(registry)
            assert status == 503
            # The peer's wish, not the five-second backoff.
            assert next_attempt_at - attempted_at == wait
            with time_machine.travel(start + wait - timedelta(seconds=1), tick=False):
                await registry.app.state.dispatcher.run_once()
            assert inbox.call_count == 1
            with time_machine.travel(start + wait, tick=False):
                await registry.app.state.dispatcher.run_once()
            assert inbox.call_count == 2
            assert await registry.count(OUTBOX.deliveries, OUTBOX.deliveries.c.status == "delivered") == 1


async def test_a_delivery_failing_past_the_give_up_period_is_marked_failed(
    registry_settings: Callable[..., RegistrySettings],
) -> None:
    give_up = timedelta(hours=1)
    settings = _peer(registry_settings, dispatch_backoff_seconds=[60], dispatch_give_up_after_seconds=3600)
    with respx.mock(assert_all_called=False) as router:
        inbox = router.post(PEER).mock(return_value=httpx.Response(500))
        app = create_registry_app(settings)
        async with running(app) as client:
            registry = Registry(client, settings.database_url, app)
            # Taken once the service is up (and its caller's token minted): travelling back before a token was
            # issued would make it one that is not valid yet.
            start = clock.now().replace(microsecond=0) + timedelta(seconds=1)
            delivery = OUTBOX.deliveries
            with time_machine.travel(start, tick=False):
                await registry.project()
                await registry.app.state.dispatcher.run_once()
            # A retry one second short of the hour still expects another; the next one, due a minute or so later
            # (60 s of backoff, jittered), is the last: failed, and never tried again.
            for moment, calls, status in (
                (give_up - timedelta(seconds=1), 2, "pending"),
                (give_up + timedelta(minutes=2), 3, "failed"),
                (give_up * 2, 3, "failed"),
            ):
                with time_machine.travel(start + moment, tick=False):
                    await registry.app.state.dispatcher.run_once()
                assert inbox.call_count == calls, moment
                assert await registry.count(delivery, delivery.c.status == status) == 1, moment

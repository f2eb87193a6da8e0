"""The demo city's disputes, plans and task forces, sent side by side through the API into a registry."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from services.demo import Demo
from services.registry.models import Dispute, Plan, TaskForce
from tests.registry.approvals_support import city_day
from tests.registry.conftest import Registry


def demo() -> Demo:
    return Demo("http://registry.test", "http://financing.test", seed=7, projects=12)


async def test_the_demo_city_records_disputes_some_resolved_plans_and_task_forces(registry: Registry) -> None:
    projects = [await registry.project(district=("990101", "990102")[i % 2], code=f"DEMO-{i:04d}") for i in range(12)]
    today = date(2026, 11, 20)
    with city_day(today):
        loader = demo()
        await loader.registry.aclose()
        loader.registry = registry.client
        await loader.records(projects)
        await loader.financing.aclose()
    disputes = await registry.rows(sa.select(Dispute.opened_on, Dispute.resolved_on))
    # A dispute resolved already is created with its resolution: one request, no second write.
    assert any(resolved is None for _, resolved in disputes)
    assert any(resolved is not None for _, resolved in disputes)
    assert all(resolved is None or opened <= resolved <= today for opened, resolved in disputes)
    planned = {project_id for (project_id,) in await registry.rows(sa.select(Plan.project_id))}
    assert planned == {p["id"] for p in projects[::2]}
    staffed = {project_id for (project_id,) in await registry.rows(sa.select(TaskForce.project_id))}
    assert staffed == {p["id"] for p in projects}


async def test_each_step_draws_from_the_seed_alone_so_the_demo_city_is_the_same_every_run() -> None:
    first, second = demo(), demo()
    with city_day(date(2026, 11, 20)):
        one, other = first.step_rng("disputes"), second.step_rng("disputes")
        second.step_rng("whitelist").random()  # another step's draws do not move this one's
        assert [first.dispute(one) for _ in range(5)] == [second.dispute(other) for _ in range(5)]
        assert first.entry(first.step_rng("whitelist")) == second.entry(second.step_rng("whitelist"))
    for loader in (first, second):
        await loader.close()


class _Receiver:
    """Stands in for the example receiver's process."""

    terminated = False

    def terminate(self) -> None:
        self.terminated = True


async def test_a_strand_that_fails_after_the_receiver_started_stops_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The financing strand starts the example bank's receiver; when another strand fails after that strand has
    finished, loading fails and the receiver is stopped rather than left holding its port."""
    loader = demo()
    receiver = _Receiver()

    async def nothing(*args: Any, **kwargs: Any) -> Any:
        return {"items": [{"code": "990101"}]} if args[1:3] == ("GET", "/v1/districts") else None

    async def financing_side(projects: Any, port: int | None) -> _Receiver:
        return receiver

    async def supervision(projects: Any) -> None:
        for _ in range(3):  # let the financing strand (scheduled first) finish before this one fails
            await asyncio.sleep(0)
        raise RuntimeError("registry refused the weekly sheets")

    monkeypatch.setattr(loader, "call", nothing)
    monkeypatch.setattr(loader, "import_sheet", nothing)
    monkeypatch.setattr(loader, "demo_projects", lambda: asyncio.sleep(0, result=[]))
    monkeypatch.setattr(loader, "records", nothing)
    monkeypatch.setattr(loader, "financing_side", financing_side)
    monkeypatch.setattr(loader, "supervision", supervision)
    with city_day(date(2026, 11, 20)), pytest.raises(RuntimeError, match="weekly sheets"):
        await loader.load(receiver_port=9100)
    assert receiver.terminated
    await loader.close()

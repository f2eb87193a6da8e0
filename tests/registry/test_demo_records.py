"""The demo city's disputes, plans and task forces, sent side by side through the API into a registry."""

from __future__ import annotations

from datetime import date

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

"""The demo city's coordination items, loaded through the API into a registry: every state, some late."""

from __future__ import annotations

from collections import Counter
from datetime import date

from services.demo import Demo
from services.registry.coordination.status import CoordinationState
from tests.registry.approvals_support import city_day, events
from tests.registry.conftest import Registry
from tests.support.apps import auth


async def test_the_demo_city_has_coordination_items_in_every_state_some_late(registry: Registry) -> None:
    projects = [await registry.project(district=d) for d in ("990101", "990102", "990103") for _ in range(4)]
    with city_day(date(2026, 11, 20)):
        demo = Demo("http://registry.test", "http://financing.test", seed=7, projects=len(projects))
        await demo.registry.aclose()
        demo.registry = registry.client
        await demo.coordination_items(projects)
        response = await registry.client.get("/v1/coordination-items", params={"limit": 500}, headers=auth())
        board = await registry.client.get(
            "/v1/supervision/overdue", params={"kind": "coordination_item"}, headers=auth()
        )
        await demo.financing.aclose()
    items = response.json()["items"]
    assert len(items) == len(projects)
    assert set(Counter(i["state"] for i in items)) == {s.value for s in CoordinationState}
    assert any(i["overdue"] for i in items)
    assert any(i["escalated"] for i in items)
    assert any(i["resolved_within_deadline"] is False for i in items)
    assert any(i["resolved_within_deadline"] is True for i in items)
    assert any(i["times_reopened"] for i in items)
    assert board.json()["items"] and any(r["escalated"] for r in board.json()["items"])
    assert len(await events(registry, "coordination_item.overdue")) == len(board.json()["items"])

"""The demo city's approval cases, loaded through the API into a registry: every state, some late."""

from __future__ import annotations

from collections import Counter
from datetime import date

from services.demo import Demo
from services.registry.approvals.status import ApprovalState
from tests.registry.approvals_support import city_day
from tests.registry.conftest import Registry
from tests.support.apps import auth


async def test_the_demo_city_has_approval_cases_in_every_state_some_late(registry: Registry) -> None:
    projects = [await registry.project(district=d) for d in ("990101", "990102", "990103") for _ in range(4)]
    with city_day(date(2026, 11, 20)):
        demo = Demo("http://registry.test", "http://financing.test", seed=7, projects=len(projects))
        await demo.registry.aclose()
        demo.registry = registry.client
        await demo.approvals(projects)
        response = await registry.client.get("/v1/approvals", params={"limit": 500}, headers=auth())
        board = await registry.client.get("/v1/supervision/overdue", headers=auth())
        await demo.financing.aclose()
    cases = response.json()["items"]
    states = Counter(c["state"] for c in cases)
    assert set(states) == {s.value for s in ApprovalState}
    assert any(c["clock"] == "overdue" for c in cases)
    assert any(c["within_limit"] is False for c in cases)
    assert any(c["parallel_group"]["members"] == 2 for c in cases)
    assert any(c["green_channel"] is not None for c in cases)
    assert board.json()["items"]

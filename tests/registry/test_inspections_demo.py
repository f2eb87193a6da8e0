"""The demo city's inspections, loaded through the API into a registry: findings in every state, some late, one
escalated, one stop-work order."""

from __future__ import annotations

from collections import Counter
from datetime import date

from services.demo import Demo
from services.registry.inspections.status import FindingState
from tests.registry.approvals_support import city_day
from tests.registry.conftest import Registry
from tests.support.apps import auth


async def test_the_demo_city_has_findings_in_every_state_and_one_stop_work_order(registry: Registry) -> None:
    projects = [await registry.project(district=d) for d in ("990101", "990102", "990103") for _ in range(4)]
    with city_day(date(2026, 11, 20)):
        demo = Demo("http://registry.test", "http://financing.test", seed=7, projects=len(projects))
        await demo.registry.aclose()
        demo.registry = registry.client
        await demo.inspections(projects)
        findings = (await registry.client.get("/v1/findings", params={"limit": 500}, headers=auth())).json()["items"]
        stopped = await registry.client.get("/v1/projects", params={"stop_work_order": "true"}, headers=auth())
        board = await registry.client.get("/v1/supervision/overdue", params={"kind": "finding"}, headers=auth())
        await demo.financing.aclose()
    states = Counter(f["state"] for f in findings)
    assert set(states) == {s.value for s in FindingState}
    assert any(f["overdue"] for f in findings)
    assert any(f["escalated"] for f in findings)
    assert any(f["rechecks_failed"] and f["state"] == "closed" for f in findings)
    assert len(stopped.json()["items"]) == 1
    assert any(item["escalated"] for item in board.json()["items"])

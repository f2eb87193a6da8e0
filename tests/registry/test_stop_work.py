"""Stop-work orders (停工整改) held by findings, and the delivery gate of unit-acceptance findings (分户验收)."""

from __future__ import annotations

from datetime import date

from services.registry.inspections.schemas import ProjectStopWorkChanged
from tests.registry.approvals_support import city_day, events
from tests.registry.conftest import Registry
from tests.registry.inspections_support import find, inspect, move, read
from tests.support.apps import auth

DAY = date(2026, 11, 12)


async def close(registry: Registry, finding_id: str) -> None:
    await move(registry, finding_id, "reply", on="2026-11-10", measures_taken="整改完成")
    await move(registry, finding_id, "recheck", on="2026-11-11", result="pass")


async def report(registry: Registry, project_id: str, week: str, working: bool) -> dict:
    response = await registry.client.post(
        f"/v1/projects/{project_id}/progress-reports",
        json={"week": week, "progress_pct": "45.0", "working": working, "workers_on_site": 0 if not working else 30},
        headers=auth(),
    )
    return {"status": response.status_code, **response.json()}


async def project_read(registry: Registry, project_id: str) -> dict:
    response = await registry.client.get(f"/v1/projects/{project_id}", headers=auth())
    assert response.status_code == 200, response.text
    return dict(response.json())


async def listed(registry: Registry, query: str) -> set[str]:
    response = await registry.client.get(f"/v1/projects?{query}", headers=auth())
    assert response.status_code == 200, response.text
    return {p["id"] for p in response.json()["items"]}


async def test_a_stop_work_finding_holds_the_order_until_the_last_is_closed(registry: Registry) -> None:
    project = await registry.project()
    other = await registry.project()
    with city_day(DAY):
        inspection = await inspect(registry, project["id"])
        rectify = await find(registry, inspection["id"])
        before = await project_read(registry, project["id"])
        assert before["stop_work_order"] is False
        first = await find(registry, inspection["id"], measure="stop_work", description="深基坑支护变形超限")
        ordered = await project_read(registry, project["id"])
        assert await listed(registry, "stop_work_order=true") == {project["id"]}
        assert other["id"] in await listed(registry, "stop_work_order=false")
        assert project["id"] not in await listed(registry, "stop_work_order=false")
        refused = await report(registry, project["id"], "2026-W46", working=True)
        # A week that ended before the notice was issued may still say the site worked.
        earlier = await report(registry, project["id"], "2026-W44", working=True)
        idle = await report(registry, project["id"], "2026-W46", working=False)
        second = await find(registry, inspection["id"], measure="stop_work", notice_issued_on="2026-11-04")
        await close(registry, first["id"])
        still = await project_read(registry, project["id"])
        await close(registry, rectify["id"])
        await close(registry, second["id"])
        lifted = await project_read(registry, project["id"])
    assert (ordered["stop_work_order"], ordered["version"]) == (True, before["version"] + 1)
    assert refused["status"] == 409 and refused["type"] == "urn:handover:problem:stop-work-order"
    assert first["id"] in refused["detail"] and "深基坑支护变形超限" in refused["detail"]
    assert (earlier["status"], idle["status"]) == (201, 201)
    assert await registry.count("progress_reports") == 2
    assert still["stop_work_order"] is True
    assert lifted["stop_work_order"] is False
    changes = await events(registry, "project.stop_work_changed")
    for change in changes:
        ProjectStopWorkChanged.model_validate(change)
    assert [(e["stop_work_order"], e["finding_id"], e["on"]) for e in changes] == [
        (True, first["id"], "2026-11-02"),
        (False, second["id"], "2026-11-11"),
    ]
    rows = await registry.rows(
        "SELECT action, after FROM audit_log WHERE entity = 'project' AND entity_id = :id AND action = 'stop_work'",
        id=project["id"],
    )
    assert len(rows) == 2
    assert (await read(registry, second["id"]))["state"] == "closed"


async def test_a_project_is_not_delivered_while_unit_acceptance_findings_are_open(registry: Registry) -> None:
    project = await registry.project()
    with city_day(DAY):
        done = await registry.client.patch(
            f"/v1/projects/{project['id']}", json={"status": "completed"}, headers=auth()
        )
        assert done.status_code == 200, done.text
        routine = await inspect(registry, project["id"])
        await find(registry, routine["id"])  # open, but not of a unit-acceptance inspection: it does not block
        acceptance = await inspect(registry, project["id"], kind="unit_acceptance")
        leak = await find(registry, acceptance["id"], category="quality", description="2单元1502室卫生间渗漏")
        crack = await find(registry, acceptance["id"], category="quality", description="1单元301室墙面开裂")
        await close(registry, crack["id"])
        refused = await registry.client.patch(
            f"/v1/projects/{project['id']}", json={"status": "delivered"}, headers=auth()
        )
        unchanged = await project_read(registry, project["id"])
        await close(registry, leak["id"])
        delivered = await registry.client.patch(
            f"/v1/projects/{project['id']}", json={"status": "delivered"}, headers=auth()
        )
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["type"] == "urn:handover:problem:acceptance-findings-open"
    assert leak["id"] in problem["detail"] and crack["id"] not in problem["detail"]
    assert (unchanged["status"], unchanged["version"]) == ("completed", done.json()["version"])
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["status"] == "delivered"

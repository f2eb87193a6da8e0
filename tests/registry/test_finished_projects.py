"""A project that leaves building (completed, delivered, closed, terminated) leaves its derived state with it: no
open stall, no lag behind its plan, no days overdue."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.registry.conftest import Registry
from tests.support.days import monday, week

# How each finished status is reached from a project under construction, one legal move at a time.
ROUTES = {
    "completed": ["completed"],
    "delivered": ["completed", "delivered"],
    "closed": ["completed", "delivered", "closed"],
    "terminated": ["terminated"],
}
# Days overdue once there, for a contract date 45 days ago: a completed project's buyers still wait for their homes.
OVERDUE_AFTER = {"completed": 45, "delivered": 0, "closed": 0, "terminated": 0}


async def move(registry: Registry, project_id: str, *statuses: str) -> dict[str, Any]:
    """PATCH the project through ``statuses``, each move checked; the project as it ends."""
    body: dict[str, Any] = {}
    for status in statuses:
        response = await registry.client.patch(
            f"/v1/projects/{project_id}", json={"status": status}, headers=registry.admin
        )
        assert response.status_code == 200, (status, response.text)
        body = response.json()
        assert body["status"] == status
    return body


async def facts(registry: Registry, project_id: str) -> dict[str, Any]:
    response = await registry.client.post(
        "/v1/risk-facts/query", json={"project_ids": [project_id]}, headers=registry.admin
    )
    assert response.status_code == 200, response.text
    (item,) = response.json()["items"]
    return dict(item["facts"])


async def monthly(registry: Registry, today: date) -> dict[str, Any]:
    response = await registry.client.get(
        "/v1/reports/monthly", params={"month": today.strftime("%Y-%m")}, headers=registry.admin
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def stalled(registry: Registry, today: date) -> dict[str, Any]:
    """A project that stopped work four weeks ago."""
    project = await registry.project()
    report = {"week": week(today, -4), "progress_pct": "40.0", "working": False, "workers_on_site": 0}
    response = await registry.client.post(
        f"/v1/projects/{project['id']}/progress-reports", json=report, headers=registry.admin
    )
    assert response.status_code == 201, response.text
    return project


@pytest.mark.parametrize("target", ["completed", "terminated"])
async def test_a_stalled_project_completed_or_terminated_ends_its_stall(
    registry: Registry, today: date, target: str
) -> None:
    project = await stalled(registry, today)
    assert (await facts(registry, project["id"]))["stall_days"] == (today - monday(today, -4)).days
    assert [p["code"] for p in (await monthly(registry, today))["stalled_projects"]] == [project["code"]]

    after = await move(registry, project["id"], target)

    assert after["stall_started_on"] is None
    assert (await facts(registry, project["id"]))["stall_days"] == 0
    report = await monthly(registry, today)
    assert report["stalled_projects"] == []
    assert report["total"]["stalled_at_end"] == 0
    # Ending it once is all: a later report still finds no stall and the project takes no weekly reports.
    late = {"week": week(today), "progress_pct": "41.0", "working": False, "workers_on_site": 0}
    refused = await registry.client.post(
        f"/v1/projects/{project['id']}/progress-reports", json=late, headers=registry.admin
    )
    assert refused.status_code == 409
    assert (await facts(registry, project["id"]))["stall_days"] == 0


@pytest.mark.parametrize("finished", sorted(ROUTES))
async def test_a_finished_project_lags_nothing_and_is_not_overdue(
    registry: Registry, today: date, finished: str
) -> None:
    contract = today - timedelta(days=45)
    project = await registry.project(contract_delivery_date=contract.isoformat(), progress_pct="40.0")
    plan = {
        "disposal_path": "self_rescue",
        "measures": "续建",
        "responsible_party": "开发商",
        "milestones": [
            {"name": "主体封顶", "planned_date": (today - timedelta(days=1)).isoformat(), "planned_progress_pct": "90"}
        ],
    }
    put = await registry.client.put(f"/v1/projects/{project['id']}/plan", json=plan, headers=registry.admin)
    assert put.status_code == 200, put.text
    before = await facts(registry, project["id"])
    assert (before["progress_lag_pct"], before["overdue_days"]) == ("50.0", 45)
    lagging = await registry.client.get("/v1/projects", params={"lagging": "true"}, headers=registry.admin)
    assert [p["id"] for p in lagging.json()["items"]] == [project["id"]]

    await move(registry, project["id"], *ROUTES[finished])

    after = await facts(registry, project["id"])
    assert (after["progress_lag_pct"], after["overdue_days"]) == ("0.0", OVERDUE_AFTER[finished])
    lagging = await registry.client.get("/v1/projects", params={"lagging": "true"}, headers=registry.admin)
    assert lagging.json()["items"] == []
    report = await monthly(registry, today)
    assert report["lagging_projects"] == []
    assert report["total"]["lagging_at_end"] == 0


async def test_a_stalled_project_past_its_date_is_overdue(registry: Registry, today: date) -> None:
    contract = today - timedelta(days=45)
    project = await registry.project(contract_delivery_date=contract.isoformat())
    await move(registry, project["id"], "stalled")
    assert (await facts(registry, project["id"]))["overdue_days"] == 45

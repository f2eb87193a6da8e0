"""Weekly dispatch: reports move a project's progress, stall it and resume it; bad reports change nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
import time_machine

from services.common.days import week_start
from services.registry.models import ProgressReport, Stall
from tests.registry.conftest import Registry
from tests.support.apps import auth
from tests.support.days import week


def report(week: str, *, working: bool = True, progress: str = "45.0", **overrides: Any) -> dict[str, Any]:
    return {"week": week, "progress_pct": progress, "working": working, "workers_on_site": 120, **overrides}


async def post(registry: Registry, project_id: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return await registry.client.post(
        f"/v1/projects/{project_id}/progress-reports", json=body, headers=headers or registry.admin
    )


async def test_report_updates_progress_and_announces_it(registry: Registry, today: date) -> None:
    project = await registry.project(progress_pct="40.0")
    body = report(week(today), progress="47.5", issues="塔吊检修", actions="周末加班")
    response = await post(registry, project["id"], body, auth("city_admin", sub="alice"))
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"/v1/projects/{project['id']}/progress-reports/{week(today)}"
    assert created["week_start"] == week_start(week(today)).isoformat()
    assert created["progress_pct"] == "47.5"
    assert created["reported_by"] == "alice"
    assert created["issues"] == "塔吊检修"
    fetched = await registry.client.get(response.headers["location"], headers=registry.admin)
    assert fetched.json() == created
    after = (await registry.client.get(f"/v1/projects/{project['id']}", headers=registry.admin)).json()
    assert after["progress_pct"] == "47.5"
    assert after["status"] == "under_construction"
    assert after["version"] == project["version"] + 1
    assert await registry.facts_events(project["id"]) == 2
    audit = (
        await registry.client.get("/v1/audit", params={"project_id": project["id"]}, headers=registry.admin)
    ).json()
    actions = [(e["entity"], e["action"]) for e in audit["items"]]
    assert ("progress_report", "create") in actions
    assert ("project", "progress_report") in actions


async def test_non_working_week_stalls_and_working_week_resumes(registry: Registry, today: date) -> None:
    project = await registry.project()
    url = f"/v1/projects/{project['id']}"
    assert (await post(registry, project["id"], report(week(today, -1), working=False))).status_code == 201
    stalled = (await registry.client.get(url, headers=registry.admin)).json()
    assert stalled["status"] == "stalled"
    assert stalled["stall_started_on"] == week_start(week(today, -1)).isoformat()
    rows = await registry.rows(sa.select(Stall.started_on, Stall.ended_on).where(Stall.project_id == project["id"]))
    assert [(str(r.started_on), r.ended_on) for r in rows] == [(week_start(week(today, -1)).isoformat(), None)]

    assert (await post(registry, project["id"], report(week(today), working=True, progress="46.0"))).status_code == 201
    resumed = (await registry.client.get(url, headers=registry.admin)).json()
    assert resumed["status"] == "under_construction"
    assert resumed["stall_started_on"] is None
    assert resumed["progress_pct"] == "46.0"
    rows = await registry.rows(sa.select(Stall.started_on, Stall.ended_on).where(Stall.project_id == project["id"]))
    assert [(str(r.started_on), str(r.ended_on)) for r in rows] == [
        (week_start(week(today, -1)).isoformat(), week_start(week(today)).isoformat())
    ]
    assert await registry.facts_events(project["id"]) == 3


async def test_another_non_working_week_keeps_the_one_stall(registry: Registry, today: date) -> None:
    project = await registry.project()
    await post(registry, project["id"], report(week(today, -1), working=False))
    response = await post(registry, project["id"], report(week(today), working=False))
    assert response.status_code == 201
    assert await registry.count(Stall, Stall.ended_on.is_(None)) == 1
    after = (await registry.client.get(f"/v1/projects/{project['id']}", headers=registry.admin)).json()
    assert after["stall_started_on"] == week_start(week(today, -1)).isoformat()


async def test_registered_project_starts_work_with_a_working_report(registry: Registry, today: date) -> None:
    project = await registry.project(status="registered")
    assert (await post(registry, project["id"], report(week(today), working=True))).status_code == 201
    after = (await registry.client.get(f"/v1/projects/{project['id']}", headers=registry.admin)).json()
    assert after["status"] == "under_construction"


async def test_late_report_for_an_earlier_week_is_kept_but_moves_nothing(registry: Registry, today: date) -> None:
    project = await registry.project()
    await post(registry, project["id"], report(week(today), progress="50.0"))
    before = (await registry.client.get(f"/v1/projects/{project['id']}", headers=registry.admin)).json()
    events = await registry.facts_events(project["id"])
    response = await post(registry, project["id"], report(week(today, -1), working=False, progress="44.0"))
    assert response.status_code == 201
    after = (await registry.client.get(f"/v1/projects/{project['id']}", headers=registry.admin)).json()
    assert after == before
    assert await registry.count(Stall) == 0
    assert await registry.facts_events(project["id"]) == events
    listed = (
        await registry.client.get(f"/v1/projects/{project['id']}/progress-reports", headers=registry.admin)
    ).json()
    assert [r["week"] for r in listed["items"]] == [week(today), week(today, -1)]


async def test_bad_reports_are_problems_and_change_nothing(registry: Registry, today: date) -> None:
    project = await registry.project()
    cases = [
        (report(week(today), progress="100.5"), 422, "#/body/progress_pct"),
        (report(week(today), progress="-1"), 422, "#/body/progress_pct"),
        (report(week(today), progress=12.25), 422, "#/body/progress_pct"),
        (report(week(today, 1)), 422, "#/body/week"),
        (report("2021-W53"), 422, "#/body/week"),
        (report("2025-25"), 422, "#/body/week"),
        (report(week(today), workers_on_site=-3), 422, "#/body/workers_on_site"),
        (report(week(today), extra="x"), 422, "#/body/extra"),
        (report(week(today), working=0), 422, "#/body/working"),
        (report(week(today), workers_on_site="12"), 422, "#/body/workers_on_site"),
    ]
    for body, status, pointer in cases:
        response = await post(registry, project["id"], body)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert pointer in [e["pointer"] for e in response.json()["errors"]], (body, response.json())
    assert await registry.count(ProgressReport) == 0
    assert await registry.facts_events(project["id"]) == 1
    after = (await registry.client.get(f"/v1/projects/{project['id']}", headers=registry.admin)).json()
    assert after == project


async def test_duplicate_week_is_409_and_changes_nothing(registry: Registry, today: date) -> None:
    project = await registry.project()
    assert (await post(registry, project["id"], report(week(today), progress="41.0"))).status_code == 201
    response = await post(registry, project["id"], report(week(today), progress="60.0", working=False))
    assert response.status_code == 409
    assert response.json()["type"] == "urn:handover:problem:duplicate-report"
    assert await registry.count(ProgressReport) == 1
    after = (await registry.client.get(f"/v1/projects/{project['id']}", headers=registry.admin)).json()
    assert (after["progress_pct"], after["status"]) == ("41.0", "under_construction")


async def test_stalling_a_registered_project_is_an_illegal_transition(registry: Registry, today: date) -> None:
    project = await registry.project(status="registered")
    response = await post(registry, project["id"], report(week(today), working=False))
    assert response.status_code == 409
    assert response.json()["type"] == "urn:handover:problem:illegal-transition"
    assert await registry.count(ProgressReport) == 0
    assert await registry.count(Stall) == 0
    after = (await registry.client.get(f"/v1/projects/{project['id']}", headers=registry.admin)).json()
    assert after == project


async def test_finished_projects_take_no_reports(registry: Registry, today: date) -> None:
    project = await registry.project()
    url = f"/v1/projects/{project['id']}"
    assert (await registry.client.patch(url, json={"status": "completed"}, headers=registry.admin)).status_code == 200
    response = await post(registry, project["id"], report(week(today)))
    assert response.status_code == 409
    assert response.json()["type"] == "urn:handover:problem:project-not-reportable"
    assert await registry.count(ProgressReport) == 0


async def test_list_pages_latest_week_first(registry: Registry, today: date) -> None:
    project = await registry.project()
    for reported in (week(today, -2), week(today, -1), week(today)):
        assert (await post(registry, project["id"], report(reported))).status_code == 201
    url = f"/v1/projects/{project['id']}/progress-reports"
    first = (await registry.client.get(url, params={"limit": 2}, headers=registry.admin)).json()
    assert [r["week"] for r in first["items"]] == [week(today), week(today, -1)]
    second = (
        await registry.client.get(url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=registry.admin)
    ).json()
    assert [r["week"] for r in second["items"]] == [week(today, -2)]
    assert second["next_cursor"] is None
    missing = await registry.client.get(f"{url}/2020-W01", headers=registry.admin)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


async def test_district_officer_reports_on_its_own_district(registry: Registry, today: date) -> None:
    project = await registry.project()
    officer = auth("district_officer", district=project["district"])
    assert (await post(registry, project["id"], report(week(today)), officer)).status_code == 201
    service = auth("service", sub="service:etl")
    assert (await post(registry, project["id"], report(week(today, -1)), service)).status_code == 201


async def test_a_resume_is_never_dated_before_its_stall_began(registry: Registry) -> None:
    # A Wednesday whose ISO week began on the Monday before, in the previous month.
    wednesday = datetime(2026, 12, 2, 10, 0, tzinfo=timezone(timedelta(hours=8)))
    with time_machine.travel(wednesday, tick=False):
        registry.admin = auth("city_admin")  # minted on the travelled day, so it has not expired there
        project = await registry.project()
        url = f"/v1/projects/{project['id']}"
        stalled = await registry.client.patch(url, json={"status": "stalled"}, headers=registry.admin)
        assert stalled.json()["stall_started_on"] == "2026-12-02"
        assert (await post(registry, project["id"], report("2026-W49", working=True))).status_code == 201

        # The working week began on 30 November, but the stall it ends began on 2 December: it ends that day,
        # so November saw no stall end and December saw one start and end.
        async def monthly(month: str) -> dict[str, Any]:
            response = await registry.client.get("/v1/reports/monthly", params={"month": month}, headers=registry.admin)
            assert response.status_code == 200, response.text
            return dict(response.json()["total"])

        november, december = await monthly("2026-11"), await monthly("2026-12")
        assert (november["stalls_started"], november["resumed"]) == (0, 0)
        assert (december["stalls_started"], december["resumed"], december["stalled_at_end"]) == (1, 1, 0)
        after = (await registry.client.get(url, headers=registry.admin)).json()
        assert (after["status"], after["stall_started_on"]) == ("under_construction", None)

"""The weekly dispatch report and the monthly bulletin, as JSON and as CSV, by district with a total."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

from services.common.days import week_of, week_start, weeks_starting_in
from tests.registry.conftest import Registry
from tests.support import factories
from tests.support.apps import auth
from tests.support.days import week
from tests.support.signing import signed_event

CSV = {"Accept": "text/csv"}


async def report(registry: Registry, project_id: str, week: str, working: bool) -> None:
    body = {"week": week, "progress_pct": "40.0", "working": working, "workers_on_site": 10}
    response = await registry.client.post(
        f"/v1/projects/{project_id}/progress-reports", json=body, headers=registry.admin
    )
    assert response.status_code == 201, response.text


async def patch(registry: Registry, project_id: str, **changes: Any) -> None:
    response = await registry.client.patch(f"/v1/projects/{project_id}", json=changes, headers=registry.admin)
    assert response.status_code == 200, response.text


async def plan_due(registry: Registry, project_id: str, on: date, pct: str) -> None:
    body = {
        "disposal_path": "self_rescue",
        "measures": "续建",
        "responsible_party": "开发商",
        "milestones": [{"name": "节点", "planned_date": on.isoformat(), "planned_progress_pct": pct}],
    }
    response = await registry.client.put(f"/v1/projects/{project_id}/plan", json=body, headers=registry.admin)
    assert response.status_code == 200, response.text


async def dispute(registry: Registry, project_id: str, opened: date, resolved: date | None = None) -> None:
    body = {"kind": "complaint", "opened_on": opened.isoformat(), "resolved_on": resolved and resolved.isoformat()}
    response = await registry.client.post(f"/v1/projects/{project_id}/disputes", json=body, headers=registry.admin)
    assert response.status_code == 201, response.text


def parse_csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


async def test_weekly_report_by_district(registry: Registry, today: date) -> None:
    developer = await registry.developer()

    async def project(**overrides: Any) -> str:
        return str((await registry.project(developer_id=developer["id"], **overrides))["id"])

    stalling = await project(code="W-A")
    await report(registry, stalling, week(today), working=False)
    delivering = await project(code="W-B")
    await report(registry, delivering, week(today), working=True)
    await patch(registry, delivering, delivered_units=120)
    await plan_due(registry, delivering, today, "90")
    resuming = await project(code="W-D")
    await patch(registry, resuming, status="stalled")
    await report(registry, resuming, week(today), working=True)
    await dispute(registry, stalling, today, today)
    await dispute(registry, stalling, today - timedelta(days=400))
    elsewhere = await project(code="W-C", district=factories.OTHER_DISTRICT)
    await report(registry, elsewhere, week(today), working=True)

    response = await registry.client.get("/v1/reports/weekly", params={"week": week(today)}, headers=registry.admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["week"], body["start"], body["as_of"]) == (
        week(today),
        week_start(week(today)).isoformat(),
        today.isoformat(),
    )
    rows = {r["district"]: r for r in body["districts"]}
    assert [r["district"] for r in body["districts"]][:2] == [factories.DISTRICT, factories.OTHER_DISTRICT]
    assert rows[factories.DISTRICT] == {
        "district": factories.DISTRICT,
        "district_name": "东湖区",
        "projects_reported": 3,
        "stalls_started": 2,
        "stalled_at_end": 1,
        "lagging_at_end": 1,
        "resumed": 1,
        "units_delivered": 120,
        "disputes_opened": 1,
        "disputes_resolved": 1,
        "approvals_received": 0,
        "approvals_decided": 0,
    }
    assert rows[factories.OTHER_DISTRICT]["projects_reported"] == 1
    assert body["total"]["projects_reported"] == 4
    assert body["total"]["units_delivered"] == 120

    table = parse_csv(
        await registry.client.get("/v1/reports/weekly", params={"week": week(today)}, headers={**registry.admin, **CSV})
    )
    assert len(table) == len(body["districts"]) + 1
    assert table[0]["district"] == factories.DISTRICT
    assert table[0]["projects_reported"] == "3"
    assert (table[-1]["district"], table[-1]["district_name"], table[-1]["projects_reported"]) == ("total", "合计", "4")

    officer = auth("district_officer", district=factories.OTHER_DISTRICT)
    own = (await registry.client.get("/v1/reports/weekly", params={"week": week(today)}, headers=officer)).json()
    assert [r["district"] for r in own["districts"]] == [factories.OTHER_DISTRICT]
    assert own["total"]["projects_reported"] == 1
    assert own["total"]["units_delivered"] == 0


async def test_monthly_bulletin_of_a_past_month(registry: Registry, today: date) -> None:
    end = today.replace(day=1) - timedelta(days=1)
    start = end.replace(day=1)
    month = start.strftime("%Y-%m")
    first, second = weeks_starting_in(start, end)[:2]
    developer = await registry.developer()

    names: dict[str, str] = {}

    async def project(**overrides: Any) -> str:
        created = await registry.project(developer_id=developer["id"], **overrides)
        names[created["id"]] = created["name"]
        return str(created["id"])

    resumed = await project(code="M-A")
    await report(registry, resumed, first, working=False)
    await report(registry, resumed, second, working=True)
    stalled = await project(code="M-B")
    await report(registry, stalled, second, working=False)
    lagging = await project(code="M-C", district=factories.OTHER_DISTRICT)
    await plan_due(registry, lagging, start + timedelta(days=4), "80")
    await dispute(registry, lagging, start + timedelta(days=2), start + timedelta(days=9))
    await dispute(registry, lagging, end + timedelta(days=1))  # this month's: not in the bulletin
    # Tiers arrive as risk sends them: signed events at the inbox.
    for project_id, tier in ((stalled, "red"), (lagging, "yellow")):
        data = {"project_id": project_id, "sequence": 1, "tier": tier}
        applied = await registry.inbox(signed_event("project.risk_tier_changed", data))
        assert applied.json()["status"] == "applied", applied.text

    response = await registry.client.get("/v1/reports/monthly", params={"month": month}, headers=registry.admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["start"], body["end"], body["as_of"]) == (start.isoformat(), end.isoformat(), end.isoformat())
    rows = {r["district"]: r for r in body["districts"]}
    home, other = rows[factories.DISTRICT], rows[factories.OTHER_DISTRICT]
    assert (home["projects_reported"], home["stalls_started"], home["resumed"], home["stalled_at_end"]) == (2, 2, 1, 1)
    assert (home["tier_red"], home["tier_unassessed"]) == (1, 1)
    assert (other["lagging_at_end"], other["tier_yellow"]) == (1, 1)
    assert (other["disputes_opened"], other["disputes_resolved"]) == (1, 1)
    assert body["total"]["stalls_started"] == 2
    total = body["total"]
    assert (total["tier_red"], total["tier_orange"], total["tier_yellow"], total["tier_green"]) == (1, 0, 1, 0)
    assert total["tier_unassessed"] == 1
    assert body["stalled_projects"] == [
        {
            "code": "M-B",
            "name": names[stalled],
            "district": factories.DISTRICT,
            "stall_started_on": week_start(second).isoformat(),
            "stall_days": (end - week_start(second)).days,
        }
    ]
    assert [(p["code"], p["planned_progress_pct"], p["lag_pct"]) for p in body["lagging_projects"]] == [
        ("M-C", "80.0", "40.0")
    ]

    params = {"month": month}
    districts = parse_csv(
        await registry.client.get("/v1/reports/monthly", params=params, headers={**registry.admin, **CSV})
    )
    assert districts[-1]["district"] == "total"
    assert districts[-1]["tier_red"] == "1"
    stalled_csv = parse_csv(
        await registry.client.get(
            "/v1/reports/monthly", params={**params, "section": "stalled"}, headers={**registry.admin, **CSV}
        )
    )
    assert [(r["code"], r["stall_started_on"]) for r in stalled_csv] == [("M-B", week_start(second).isoformat())]
    lagging_csv = parse_csv(
        await registry.client.get(
            "/v1/reports/monthly", params={**params, "section": "lagging"}, headers={**registry.admin, **CSV}
        )
    )
    assert [(r["code"], r["lag_pct"]) for r in lagging_csv] == [("M-C", "40.0")]

    officer = auth("district_officer", district=factories.DISTRICT)
    own = (await registry.client.get("/v1/reports/monthly", params=params, headers=officer)).json()
    assert [r["district"] for r in own["districts"]] == [factories.DISTRICT]
    assert own["lagging_projects"] == []
    assert [p["code"] for p in own["stalled_projects"]] == ["M-B"]


async def test_accept_header_chooses_the_media_type(registry: Registry, today: date) -> None:
    params = {"week": week(today)}
    for accept, media_type in (
        ("text/csv", "text/csv; charset=utf-8"),
        ("application/json;q=0.5, text/csv", "text/csv; charset=utf-8"),
        ("text/*", "text/csv; charset=utf-8"),
        ("text/csv;q=0.4, application/json", "application/json"),
        ("*/*", "application/json"),
        ("application/xml", "application/json"),
    ):
        response = await registry.client.get(
            "/v1/reports/weekly", params=params, headers={**registry.admin, "Accept": accept}
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == media_type, accept


async def test_bad_periods_are_problems(registry: Registry, today: date) -> None:
    next_week = week_of(today + timedelta(days=7))
    next_month = (today.replace(day=28) + timedelta(days=5)).strftime("%Y-%m")
    for path, params in (
        ("/v1/reports/weekly", {"week": next_week}),
        ("/v1/reports/weekly", {"week": "2021-W53"}),
        ("/v1/reports/weekly", {"week": "2025W25"}),
        ("/v1/reports/weekly", {}),
        ("/v1/reports/monthly", {"month": next_month}),
        ("/v1/reports/monthly", {"month": "2025-13"}),
        ("/v1/reports/monthly", {"month": "0000-01"}),
        ("/v1/reports/monthly", {"month": "2025-06", "section": "all"}),
    ):
        response = await registry.client.get(path, params=params, headers=registry.admin)
        assert response.status_code == 422, (path, params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert (await registry.client.get("/v1/reports/weekly", params={"week": week(today)})).status_code == 401
    bank = auth("bank", bank="B01")
    assert (
        await registry.client.get("/v1/reports/weekly", params={"week": week(today)}, headers=bank)
    ).status_code == 403

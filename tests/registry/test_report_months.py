"""``report_months``: a row per project and month with a weekly report, kept by every path that writes reports
(the API's create, the spreadsheet import) and backfilled by migration 0009; the monthly report counts a
month's reporters from it, with the figures the weekly reports themselves give."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import sqlalchemy as sa

from services.common.days import weeks_starting_in
from services.common.migrations import downgrade, upgrade
from services.registry.app import MIGRATIONS
from services.registry.models import ProgressReport, Project, ReportMonth
from tests.registry.conftest import Registry
from tests.registry.test_imports import REPORT_HEADER, ledger_row, project_by_code, report_row, send, workbook
from tests.support import factories
from tests.support.days import previous_month, week


async def post(registry: Registry, project_id: str, week_: str, working: bool = True) -> int:
    body = {"week": week_, "progress_pct": "40.0", "working": working, "workers_on_site": 10}
    response = await registry.client.post(
        f"/v1/projects/{project_id}/progress-reports", json=body, headers=registry.admin
    )
    return response.status_code


async def noted(registry: Registry) -> set[tuple[str, str]]:
    return {(row.month, row.project_id) for row in await registry.rows(sa.select(ReportMonth))}


async def from_the_reports(registry: Registry) -> set[tuple[str, str]]:
    """What ``report_months`` should hold, worked out here from the weekly reports: the month of each week's
    Monday, with its project."""
    rows = await registry.rows(sa.select(ProgressReport.week_start, ProgressReport.project_id))
    return {(monday.strftime("%Y-%m"), project_id) for monday, project_id in rows}


async def reporters_by_district(registry: Registry, weeks: list[str]) -> dict[str, int]:
    """Projects with a report for one of ``weeks``, by district, counted here from the weekly reports."""
    rows = await registry.rows(
        sa.select(Project.district, ProgressReport.project_id)
        .join(Project, Project.id == ProgressReport.project_id)
        .where(ProgressReport.week.in_(weeks))
    )
    by_district: dict[str, set[str]] = {}
    for district, project_id in rows:
        by_district.setdefault(district, set()).add(project_id)
    return {district: len(ids) for district, ids in by_district.items()}


async def reports_across_two_months(registry: Registry, today: date) -> str:
    """Weekly reports written by the API and by the import over last month and this one; returns last month."""
    start, end = previous_month(today)
    # The weeks that began last month, this week left out: early in a month (a Tuesday the 1st, say) this week
    # began last month too.
    last_month = [week_ for week_ in weeks_starting_in(start, end) if week_ != week(today)]
    developer = await registry.developer()
    early = str((await registry.project(developer_id=developer["id"], code="RM-A"))["id"])
    late = str((await registry.project(developer_id=developer["id"], code="RM-B"))["id"])
    elsewhere = str(
        (await registry.project(developer_id=developer["id"], code="RM-C", district=factories.OTHER_DISTRICT))["id"]
    )
    # Two weeks of one month are one row; this week is another month's (or the same, early in a month).
    for week_ in (last_month[0], last_month[1], week(today)):
        assert await post(registry, early, week_) == 201
    # A late report for an earlier week, written after a later one: kept, and its month noted too.
    assert await post(registry, late, week(today)) == 201
    assert await post(registry, late, last_month[-1], working=False) == 201
    assert await post(registry, elsewhere, last_month[0]) == 201
    # The same week again is refused and notes nothing.
    assert await post(registry, early, last_month[0]) == 409

    # The import's set-based path: a project of the ledger, several weeks of both months in one sheet.
    assert (await send(registry, workbook(ledger_row("RM-I")))).status_code == 200
    sheet = workbook(
        *(report_row("RM-I", week_) for week_ in [*last_month[1:], week(today)]),
        header=REPORT_HEADER,
    )
    assert (await send(registry, sheet, what="progress-reports", dry_run=True)).status_code == 200
    imported = await send(registry, sheet, what="progress-reports")
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == len(last_month)
    return start.strftime("%Y-%m")


async def test_every_path_that_writes_reports_notes_their_months(registry: Registry, today: date) -> None:
    month = await reports_across_two_months(registry, today)
    expected = await from_the_reports(registry)
    assert await noted(registry) == expected
    imported = (await project_by_code(registry, "RM-I"))["id"]
    # A week counts in the month its Monday falls in: this week's may be last month's.
    this_weeks_month = (today - timedelta(days=today.weekday())).strftime("%Y-%m")
    assert {m for m, project_id in expected if project_id == imported} == {month, this_weeks_month}
    assert await registry.count(ReportMonth) == len(expected) < await registry.count(ProgressReport)


async def test_the_monthly_report_counts_the_reporters_the_weekly_reports_give(registry: Registry, today: date) -> None:
    month = await reports_across_two_months(registry, today)
    start, end = previous_month(today)
    expected = await reporters_by_district(registry, weeks_starting_in(start, end))
    assert expected == {factories.DISTRICT: 3, factories.OTHER_DISTRICT: 1}

    response = await registry.client.get("/v1/reports/monthly", params={"month": month}, headers=registry.admin)
    assert response.status_code == 200, response.text
    body = response.json()
    counted = {row["district"]: row["projects_reported"] for row in body["districts"] if row["projects_reported"]}
    assert counted == expected
    assert body["total"]["projects_reported"] == sum(expected.values())
    # The weekly report still counts one week's reporters from the weeks themselves.
    first = weeks_starting_in(start, end)[0]
    weekly = await registry.client.get("/v1/reports/weekly", params={"week": first}, headers=registry.admin)
    assert weekly.json()["total"]["projects_reported"] == sum((await reporters_by_district(registry, [first])).values())


async def test_the_migration_fills_the_months_of_the_reports_already_recorded(registry: Registry, today: date) -> None:
    await reports_across_two_months(registry, today)
    expected = await from_the_reports(registry)
    await asyncio.to_thread(downgrade, MIGRATIONS, registry.url, "0008")
    await asyncio.to_thread(upgrade, MIGRATIONS, registry.url)
    assert await noted(registry) == expected

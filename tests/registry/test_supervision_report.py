"""The monthly report's supervision section: figures counted here from what the test created, in JSON and CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tests.registry.approvals_support import added, city_day
from tests.registry.conftest import Registry
from tests.registry.inspections_support import find, inspect, move
from tests.support import factories
from tests.support.apps import auth

READ_ON = date(2026, 11, 30)
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


@dataclass
class Case:
    """A finding as the test creates it: its inspection, its fields, and its moves in order."""

    project: str
    inspected_on: date
    category: str
    severity: str
    measure: str = "rectify"
    days: int = 5
    moves: list[dict[str, Any]] = field(default_factory=list)
    kind: str = "routine"


CASES = [
    # Inspected in October, closed in November by its due date (first recheck passed).
    Case(
        "A",
        date(2026, 10, 28),
        "quality",
        "general",
        moves=[
            {"action": "reply", "on": "2026-11-03", "measures_taken": "x"},
            {"action": "recheck", "on": "2026-11-04", "result": "pass"},
        ],
    ),
    # Failed its first recheck, closed a day after its new due date.
    Case(
        "A",
        date(2026, 11, 2),
        "safety",
        "major",
        moves=[
            {"action": "reply", "on": "2026-11-10", "measures_taken": "x"},
            {"action": "recheck", "on": "2026-11-11", "result": "fail", "deadline_working_days": 3},
            {"action": "reply", "on": "2026-11-16", "measures_taken": "y"},
            {"action": "recheck", "on": "2026-11-17", "result": "pass"},
        ],
    ),
    # A stop-work order still in force at the month's end.
    Case("A", date(2026, 11, 2), "management", "critical", measure="stop_work"),
    # A stop-work order lifted within the month.
    Case(
        "C",
        date(2026, 11, 5),
        "safety",
        "general",
        measure="stop_work",
        moves=[
            {"action": "reply", "on": "2026-11-06", "measures_taken": "x"},
            {"action": "recheck", "on": "2026-11-09", "result": "pass"},
        ],
    ),
    Case("B", date(2026, 11, 20), "quality", "critical", kind="patrol"),
]
DISTRICTS = {"A": factories.DISTRICT, "B": factories.OTHER_DISTRICT, "C": factories.DISTRICT}


def pct(part: int, whole: int) -> str | None:
    if whole == 0:
        return None
    return str((Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def expected(start: date, end: date) -> dict[str, dict[str, Any]]:
    """The supervision rows counted from CASES, by district."""
    rows: dict[str, dict[str, Any]] = {}

    def row(district: str) -> dict[str, Any]:
        return rows.setdefault(
            district,
            {
                "inspections": 0,
                "findings": 0,
                **{f"findings_{c}": 0 for c in ("quality", "safety", "management", "general", "major", "critical")},
                "closed": 0,
                "closed_on_time": 0,
                "first_rechecks": 0,
                "first_rechecks_passed": 0,
                "stop_work_orders": 0,
            },
        )

    stopped: dict[str, set[str]] = {}
    for case in CASES:  # one inspection per case
        district = DISTRICTS[case.project]
        if start <= case.inspected_on <= end:
            r = row(district)
            r["inspections"] += 1
            r["findings"] += 1
            r[f"findings_{case.category}"] += 1
            r[f"findings_{case.severity}"] += 1
        due, closed_on, rechecks = added(case.inspected_on, case.days), None, []
        for step in case.moves:
            if step["action"] == "recheck":
                rechecks.append((date.fromisoformat(step["on"]), step["result"]))
                if step["result"] == "fail":
                    due = added(date.fromisoformat(step["on"]), step["deadline_working_days"])
                else:
                    closed_on = date.fromisoformat(step["on"])
        if closed_on is not None and start <= closed_on <= end:
            row(district)["closed"] += 1
            row(district)["closed_on_time"] += closed_on <= due
        if rechecks and start <= rechecks[0][0] <= end:
            row(district)["first_rechecks"] += 1
            row(district)["first_rechecks_passed"] += rechecks[0][1] == "pass"
        if case.measure == "stop_work" and case.inspected_on <= end and (closed_on is None or closed_on > end):
            stopped.setdefault(district, set()).add(case.project)
    for district, projects in stopped.items():
        row(district)["stop_work_orders"] = len(projects)
    for r in rows.values():
        r["rectified_on_time_pct"] = pct(r["closed_on_time"], r["closed"])
        r["first_recheck_pass_pct"] = pct(r["first_rechecks_passed"], r["first_rechecks"])
    return rows


async def seed(registry: Registry) -> None:
    projects = {name: await registry.project(district=district) for name, district in DISTRICTS.items()}
    with city_day(READ_ON):
        for case in CASES:
            inspection = await inspect(
                registry, projects[case.project]["id"], kind=case.kind, inspected_on=case.inspected_on.isoformat()
            )
            finding = await find(
                registry,
                inspection["id"],
                category=case.category,
                severity=case.severity,
                measure=case.measure,
                deadline_working_days=case.days,
            )
            for step in case.moves:
                await move(registry, finding["id"], **step)


async def test_the_monthly_report_has_supervision_figures_by_district(registry: Registry) -> None:
    await seed(registry)
    with city_day(READ_ON):
        november = await registry.client.get("/v1/reports/monthly?month=2026-11", headers=auth())
        october = await registry.client.get("/v1/reports/monthly?month=2026-10", headers=auth())
        officer = await registry.client.get(
            "/v1/reports/monthly?month=2026-11",
            headers=auth("district_officer", district=factories.OTHER_DISTRICT),
        )
        table = await registry.client.get(
            "/v1/reports/monthly?month=2026-11&section=supervision", headers={**auth(), "Accept": "text/csv"}
        )
    assert november.status_code == 200, november.text
    rows = {r.pop("district"): r for r in november.json()["supervision"]}
    for r in rows.values():
        r.pop("district_name")
    want = expected(*NOVEMBER)
    assert rows == want
    # The figures the cases were built to show, in plain words.
    assert (want[factories.DISTRICT]["closed"], want[factories.DISTRICT]["closed_on_time"]) == (3, 2)
    assert want[factories.DISTRICT]["rectified_on_time_pct"] == "66.7"
    assert want[factories.DISTRICT]["stop_work_orders"] == 1
    oct_rows = {r["district"]: r for r in october.json()["supervision"]}
    assert oct_rows[factories.DISTRICT]["inspections"] == 1
    assert oct_rows[factories.DISTRICT]["stop_work_orders"] == 0
    assert [r["district"] for r in officer.json()["supervision"]] == [factories.OTHER_DISTRICT]
    assert table.status_code == 200, table.text
    lines = list(csv.reader(io.StringIO(table.content.decode("utf-8-sig"))))
    header, body = lines[0], lines[1:]
    assert header[:4] == ["district", "district_name", "inspections", "findings"]
    by_district = {line[0]: dict(zip(header, line, strict=True)) for line in body}
    ours = by_district[factories.DISTRICT]
    assert ours["rectified_on_time_pct"] == "66.7" and ours["stop_work_orders"] == "1"
    assert by_district[factories.OTHER_DISTRICT]["rectified_on_time_pct"] == ""

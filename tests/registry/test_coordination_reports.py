"""The coordination section of the monthly report, checked against figures counted here."""

from __future__ import annotations

from datetime import date

from tests.registry.approvals_support import added, city_day
from tests.registry.conftest import Registry
from tests.registry.coordination_support import create, move
from tests.registry.test_reports import CSV, parse_csv
from tests.support import factories
from tests.support.apps import auth

POWER = "国网市供电公司"
WATER = "市水务集团"


async def test_the_monthly_report_counts_coordination_items_by_district_and_department(registry: Registry) -> None:
    home = await registry.project()
    away = await registry.project(district=factories.OTHER_DISTRICT)
    with city_day(date(2026, 11, 1)):
        # Raised in September, resolved in time in October and confirmed in October.
        confirmed = await create(registry, home["id"], raised_on="2026-09-28", deadline_working_days=10)
        await move(registry, confirmed["id"], "accept", on="2026-09-29")
        await move(registry, confirmed["id"], "resolve", on="2026-10-14", resolution="已送电")
        await move(registry, confirmed["id"], "confirm", on="2026-10-20")
        # Raised in October, resolved late in October.
        late = await create(registry, home["id"], raised_on="2026-10-09", deadline_working_days=5)
        await move(registry, late["id"], "accept", on="2026-10-09")
        await move(registry, late["id"], "resolve", on="2026-10-27", resolution="已送电")
        # Raised in October, open at the month's end and not yet due.
        await create(registry, home["id"], raised_on="2026-10-12", deadline_working_days=30)
        # Raised in September, open and overdue at the month's end.
        await create(registry, home["id"], raised_on="2026-09-01", deadline_working_days=10)
        # Another department: raised in October, resolved on 1 November (open at the month's end, not due).
        water = await create(
            registry, home["id"], topic="water", lead_department=WATER, raised_on="2026-10-20", deadline_working_days=10
        )
        await move(registry, water["id"], "accept", on="2026-10-21")
        await move(registry, water["id"], "resolve", on="2026-11-01", resolution="已通水")
        # Away: one settled in September (no October figure), one raised in October and late by its end.
        settled = await create(registry, away["id"], raised_on="2026-09-01", deadline_working_days=10)
        await move(registry, settled["id"], "accept", on="2026-09-02")
        await move(registry, settled["id"], "resolve", on="2026-09-15", resolution="已送电")
        await create(registry, away["id"], raised_on="2026-10-13", deadline_working_days=3)
    # The deadlines the figures rest on, counted independently.
    end = date(2026, 10, 31)
    assert date(2026, 10, 14) <= added(date(2026, 9, 28), 10)
    assert date(2026, 10, 27) > added(date(2026, 10, 9), 5)
    assert added(date(2026, 10, 12), 30) > end
    assert added(date(2026, 9, 1), 10) < end
    assert added(date(2026, 10, 20), 10) > end
    assert added(date(2026, 10, 13), 3) < end
    with city_day(date(2026, 11, 2)):
        monthly = await registry.client.get("/v1/reports/monthly", params={"month": "2026-10"}, headers=auth())
        table = parse_csv(
            await registry.client.get(
                "/v1/reports/monthly",
                params={"month": "2026-10", "section": "coordination"},
                headers={**auth(), **CSV},
            )
        )
        officer = await registry.client.get(
            "/v1/reports/monthly",
            params={"month": "2026-10"},
            headers=auth("district_officer", district=factories.OTHER_DISTRICT),
        )
        september = await registry.client.get("/v1/reports/monthly", params={"month": "2026-09"}, headers=auth())
    assert monthly.status_code == 200, monthly.text
    expected = [
        {
            "district": factories.DISTRICT,
            "district_name": "东湖区",
            "lead_department": POWER,
            "raised": 2,
            "resolved": 2,
            "resolved_within_deadline": 1,
            "confirmed": 1,
            "open": 2,
            "overdue": 1,
        },
        {
            "district": factories.DISTRICT,
            "district_name": "东湖区",
            "lead_department": WATER,
            "raised": 1,
            "resolved": 0,
            "resolved_within_deadline": 0,
            "confirmed": 0,
            "open": 1,
            "overdue": 0,
        },
        {
            "district": factories.OTHER_DISTRICT,
            "district_name": "西山区",
            "lead_department": POWER,
            "raised": 1,
            "resolved": 0,
            "resolved_within_deadline": 0,
            "confirmed": 0,
            "open": 1,
            "overdue": 1,
        },
    ]
    assert monthly.json()["coordination"] == expected
    assert table == [{k: str(v) for k, v in row.items()} for row in expected]
    assert officer.json()["coordination"] == expected[2:]
    # September: the home items raised 1 and 28 September and the away one raised, resolved in time on the 15th.
    by_pair = {(r["district"], r["lead_department"]): r for r in september.json()["coordination"]}
    assert set(by_pair) == {(factories.DISTRICT, POWER), (factories.OTHER_DISTRICT, POWER)}
    home_sept = by_pair[(factories.DISTRICT, POWER)]
    assert (home_sept["raised"], home_sept["open"], home_sept["overdue"]) == (
        2,
        2,
        int(date(2026, 9, 30) > added(date(2026, 9, 1), 10)),
    )
    away_sept = by_pair[(factories.OTHER_DISTRICT, POWER)]
    assert (away_sept["raised"], away_sept["resolved"], away_sept["resolved_within_deadline"], away_sept["open"]) == (
        1,
        1,
        1,
        0,
    )

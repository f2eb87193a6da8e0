"""The working-day calendar through the API: shipped official years, estimates, publication by a city admin,
and working days counted on whatever is in effect."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import pytest

from services.common import clock
from services.registry.calendar.shipped import official_years
from tests.registry.conftest import Registry
from tests.support import factories
from tests.support.apps import auth

SHIPPED = sorted(official_years())
NEXT = SHIPPED[-1] + 1  # the first year no notice is shipped for
TOMORROW = "tomorrow"  # replaced by the day after the test's today when the test runs
LAST = SHIPPED[-1]


def first_weekend_day(year: int, month: int, weekday: int) -> date:
    """The first Saturday (5) or Sunday (6) of a month."""
    day = date(year, month, 1)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


async def get_year(registry: Registry, year: int) -> Any:
    response = await registry.client.get(f"/v1/calendar/{year}", headers=registry.admin)
    assert response.status_code == 200, response.text
    return response.json()


async def working_days(registry: Registry, **params: Any) -> Any:
    response = await registry.client.get("/v1/calendar/working-days", params=params, headers=registry.admin)
    assert response.status_code == 200, response.text
    return response.json()


async def snapshot(registry: Registry) -> tuple[int, int]:
    return await registry.count("calendar_years"), await registry.count("audit_log")


async def test_a_shipped_year_is_official_with_its_notice(registry: Registry) -> None:
    year = await get_year(registry, 2026)
    assert (year["year"], year["official"], year["basis"]) == (2026, True, "shipped")
    assert year["source"] == {
        "title": "国务院办公厅关于2026年部分节假日安排的通知",
        "number": "国办发明电〔2025〕7号",
        "date": "2025-11-04",
    }
    assert year["make_up_workdays"] == [
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ]
    assert [d for d in year["holidays"] if d.startswith("2026-10")] == [f"2026-10-0{d}" for d in range(1, 8)]
    assert len(year["holidays"]) == 33
    assert (year["published_by"], year["published_at"]) == (None, None)


async def test_a_year_without_a_notice_is_an_estimate_and_never_official(registry: Registry) -> None:
    year = await get_year(registry, NEXT)
    assert year == {
        "year": NEXT,
        "official": False,
        "basis": "estimate",
        "holidays": [],
        "make_up_workdays": [],
        "source": None,
        "published_by": None,
        "published_at": None,
    }
    # Counting into it says so; counting inside shipped years does not.
    assert (await working_days(registry, start=f"{LAST}-12-30", add=3))["estimated"] is True
    assert (await working_days(registry, start=f"{LAST}-12-01", end=f"{NEXT}-01-05"))["estimated"] is True
    assert (await working_days(registry, start=f"{LAST}-12-01", end=f"{LAST}-12-31"))["estimated"] is False


async def test_working_days_are_added_and_counted_back(registry: Registry) -> None:
    assert await working_days(registry, start="2026-09-28", add=15) == {"due_on": "2026-10-23", "estimated": False}
    assert await working_days(registry, start="2026-09-28", end="2026-10-23") == {
        "working_days": 15,
        "estimated": False,
    }
    # Saturday 14 February 2026 is worked; nine days off follow.
    assert (await working_days(registry, start="2026-02-13", add=2))["due_on"] == "2026-02-24"
    assert (await working_days(registry, start="2026-02-13", end="2026-02-13"))["working_days"] == 0


@pytest.mark.parametrize(
    ("params", "pointer"),
    [
        ({"start": "2026-09-28"}, "#/query/add"),
        ({"start": "2026-09-28", "add": 3, "end": "2026-10-01"}, "#/query/add"),
        ({"start": "2026-09-28", "add": 0}, "#/query/add"),
        ({"start": "2026-09-28", "add": 1001}, "#/query/add"),
        ({"start": "2026-09-28", "add": "ten"}, "#/query/add"),
        ({"start": "2026-13-01", "add": 1}, "#/query/start"),
        ({"start": "1790000000", "add": 1}, "#/query/start"),
        ({"add": 1}, "#/query/start"),
        ({"start": "2026-09-28", "end": "2026-09-27"}, "#/query/end"),
        ({"start": "1999-12-31", "add": 1}, "#/query/start"),
        ({"start": "2099-12-28", "add": 10}, "#/query/add"),
        ({"start": "1999-12-31", "end": "2000-01-05"}, "#/query/start"),
        ({"start": "2026-01-01", "end": "2100-01-01"}, "#/query/end"),
    ],
)
async def test_bad_counting_questions_are_problems(registry: Registry, params: dict[str, Any], pointer: str) -> None:
    response = await registry.client.get("/v1/calendar/working-days", params=params, headers=registry.admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert pointer in [e["pointer"] for e in response.json()["errors"]]


async def test_years_outside_the_range_and_unknown_parameters_are_refused(registry: Registry) -> None:
    for year in ("1999", "2100", "twenty", "2026.5"):
        response = await registry.client.get(f"/v1/calendar/{year}", headers=registry.admin)
        assert response.status_code == 422, year
        body = factories.calendar_year(2026)
        put = await registry.client.put(f"/v1/calendar/{year}", json=body, headers=registry.admin)
        assert put.status_code == 422, year
    unknown = await registry.client.get(
        "/v1/calendar/working-days", params={"start": "2026-09-28", "days": 3}, headers=registry.admin
    )
    assert unknown.status_code == 422
    assert [e["pointer"] for e in unknown.json()["errors"]] == ["#/query/days"]
    assert await snapshot(registry) == (0, 0)


async def test_publishing_a_year_makes_it_official_and_moves_its_deadlines(registry: Registry) -> None:
    question = {"start": f"{NEXT}-09-28", "add": 15}
    estimated = await working_days(registry, **question)
    assert estimated["estimated"] is True
    body = factories.calendar_year(NEXT)
    response = await registry.client.put(f"/v1/calendar/{NEXT}", json=body, headers=auth("city_admin", sub="li"))
    assert response.status_code == 200, response.text
    published = response.json()
    assert (published["official"], published["basis"], published["published_by"]) == (True, "published", "li")
    assert published["holidays"] == body["holidays"]
    assert published["make_up_workdays"] == body["make_up_workdays"]
    assert published["source"] == body["source"]
    assert await get_year(registry, NEXT) == published
    # The same question is now answered on the notice's days, counted here one day at a time.
    counted = await working_days(registry, **question)
    assert counted["estimated"] is False
    left, day = 15, date(NEXT, 9, 28)
    off = {date.fromisoformat(d) for d in body["holidays"]}
    worked = {date.fromisoformat(d) for d in body["make_up_workdays"]}
    while left:
        day += timedelta(days=1)
        if day in worked or (day.weekday() < 5 and day not in off):
            left -= 1
    assert counted["due_on"] == day.isoformat() != estimated["due_on"]
    audit = (await registry.client.get("/v1/audit", params={"entity_id": str(NEXT)}, headers=registry.admin)).json()
    [entry] = audit["items"]
    assert (entry["entity"], entry["action"], entry["actor"]) == ("calendar_year", "publish", "li")
    assert entry["before"] == {"basis": "estimate", "holidays": [], "make_up_workdays": [], "source": None}
    assert entry["after"]["holidays"] == body["holidays"]
    assert entry["after"]["source"]["number"] == body["source"]["number"]


async def test_a_shipped_year_is_corrected_by_a_put_and_the_same_put_again_changes_nothing(
    registry: Registry,
) -> None:
    shipped = await get_year(registry, 2026)
    unchanged = await registry.client.put(
        "/v1/calendar/2026",
        json={k: shipped[k] for k in ("holidays", "make_up_workdays", "source")},
        headers=registry.admin,
    )
    assert unchanged.status_code == 200
    assert unchanged.json() == shipped
    assert await snapshot(registry) == (0, 0)

    # A correction: a day off added to 2026 (say, by a later notice) moves the answers that count over it.
    before = await working_days(registry, start="2026-12-01", end="2026-12-31")
    corrected = {
        "holidays": [*shipped["holidays"], "2026-12-31"],
        "make_up_workdays": shipped["make_up_workdays"],
        "source": {**shipped["source"], "title": "国务院办公厅关于调整2026年元旦放假安排的通知"},
    }
    response = await registry.client.put("/v1/calendar/2026", json=corrected, headers=registry.admin)
    assert response.status_code == 200, response.text
    assert response.json()["basis"] == "published"
    after = await working_days(registry, start="2026-12-01", end="2026-12-31")
    assert after["working_days"] == before["working_days"] - 1
    again = await registry.client.put("/v1/calendar/2026", json=corrected, headers=registry.admin)
    assert again.json() == response.json()
    assert await snapshot(registry) == (1, 1)
    [entry] = (await registry.client.get("/v1/audit", params={"entity_id": "2026"}, headers=registry.admin)).json()[
        "items"
    ]
    assert (entry["action"], entry["before"]["basis"], entry["before"]["source"]["number"]) == (
        "publish",
        "shipped",
        "国办发明电〔2025〕7号",
    )

    reverted = await registry.client.put(
        "/v1/calendar/2026", json={**corrected, "holidays": shipped["holidays"]}, headers=registry.admin
    )
    assert reverted.status_code == 200
    assert await snapshot(registry) == (1, 2)
    audit = (await registry.client.get("/v1/audit", params={"entity_id": "2026"}, headers=registry.admin)).json()
    assert [e["action"] for e in audit["items"]] == ["replace", "publish"]


@pytest.mark.parametrize(
    ("change", "pointers"),
    [
        ({"holidays": [f"{NEXT - 1}-12-31"]}, ["#/body/holidays/0"]),
        ({"holidays": [f"{NEXT}-10-01", f"{NEXT}-10-01"]}, ["#/body/holidays/1"]),
        ({"make_up_workdays": [f"{NEXT + 1}-01-02"]}, ["#/body/make_up_workdays/0"]),
        ({"make_up_workdays": [first_weekend_day(NEXT, 3, 0).isoformat()]}, ["#/body/make_up_workdays/0"]),
        (
            {
                "holidays": [first_weekend_day(NEXT, 3, 5).isoformat()],
                "make_up_workdays": [first_weekend_day(NEXT, 3, 5).isoformat()],
            },
            ["#/body/make_up_workdays/0"],
        ),
        ({"holidays": ["2027/10/01"]}, ["#/body/holidays/0"]),
        ({"holidays": ["1790000000"]}, ["#/body/holidays/0"]),
        ({"holidays": [f"{NEXT}-02-30"]}, ["#/body/holidays/0"]),
        ({"holidays": None}, ["#/body/holidays"]),
        ({"source": None}, ["#/body/source"]),
        (
            {"source": {"title": "通知", "number": "1号", "date": TOMORROW}},
            ["#/body/source/date"],
        ),
        ({"source": {"title": "", "number": "1号", "date": "2026-01-01"}}, ["#/body/source/title"]),
        ({"official": True}, ["#/body/official"]),
    ],
)
async def test_bad_notices_are_problems_and_change_nothing(
    registry: Registry, change: dict[str, Any], pointers: list[str]
) -> None:
    if change.get("source", {}) and change["source"].get("date") == TOMORROW:
        # Tomorrow as of the test's own (possibly faked) day, not as of when the module was imported.
        change = {"source": {**change["source"], "date": (clock.today() + timedelta(days=1)).isoformat()}}
    body = factories.calendar_year(NEXT, **change)
    response = await registry.client.put(f"/v1/calendar/{NEXT}", json=body, headers=registry.admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["pointer"] for e in response.json()["errors"]] == pointers
    assert await snapshot(registry) == (0, 0)
    assert (await get_year(registry, NEXT))["basis"] == "estimate"


async def test_publications_at_the_same_time_leave_one_year_and_an_entry_for_each_that_succeeded(
    registry: Registry,
) -> None:
    bodies = [factories.calendar_year(NEXT), factories.calendar_year(NEXT, holidays=[f"{NEXT}-01-01"])]
    answers = await asyncio.gather(
        *(registry.client.put(f"/v1/calendar/{NEXT}", json=body, headers=registry.admin) for body in bodies)
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses in ([200, 200], [200, 409])
    rows, entries = await snapshot(registry)
    assert (rows, entries) == (1, statuses.count(200))
    final = await get_year(registry, NEXT)
    assert final in [a.json() for a in answers if a.status_code == 200]

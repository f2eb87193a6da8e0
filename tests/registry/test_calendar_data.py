"""The shipped official years: generated from ``chinesecalendar`` by the committed script, and checked against
the ``holidays`` package, a second transcription of the same State Council notices."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest

from services.registry.calendar import generate
from services.registry.calendar.counting import problems
from services.registry.calendar.shipped import YEARS_DIR, official_years

SHIPPED = sorted(official_years())


def test_the_shipped_years_are_the_noticed_ones() -> None:
    assert sorted(generate.NOTICES) == SHIPPED
    assert {2024, 2025, 2026} <= set(SHIPPED)
    assert sorted(int(path.stem) for path in YEARS_DIR.glob("*.json")) == SHIPPED


@pytest.mark.parametrize("year", SHIPPED)
def test_each_file_is_what_the_script_writes_from_chinesecalendar(year: int) -> None:
    committed = (YEARS_DIR / f"{year}.json").read_text(encoding="utf-8")
    assert committed == generate.render(year), f"run `python -m services.registry.calendar.generate` ({year})"


@pytest.mark.parametrize("year", SHIPPED)
def test_each_year_records_its_notice(year: int) -> None:
    source = official_years()[year].source
    assert source.title == f"国务院办公厅关于{year}年部分节假日安排的通知"
    assert source.number.startswith(f"国办发明电〔{year - 1}〕") and source.number.endswith("号")
    # Each notice came out in the autumn or early winter before its year.
    assert date(year - 1, 10, 1) <= source.date <= date(year - 1, 12, 31)
    assert official_years()[year].days.official


@pytest.mark.parametrize("year", SHIPPED)
def test_each_year_is_a_valid_notice(year: int) -> None:
    days = official_years()[year].days
    assert problems(year, sorted(days.holidays), sorted(days.make_up_workdays)) == []


@pytest.mark.parametrize("year", SHIPPED)
def test_each_year_agrees_with_the_holidays_package(year: int) -> None:
    """Both packages give the same working days: the weekdays off and the weekend days worked are equal.

    The one known difference is in the weekend days listed as holidays. The notices, and chinesecalendar after
    them, give each break as a span, so a weekend inside it is listed (2026-02-21 and 22 in the Spring Festival);
    the ``holidays`` package lists only the statutory days and the weekdays off in their place. A weekend day
    is off either way, so no count differs; the test checks that every day the package lists is shipped, and
    that the rest are weekend days.
    """
    shipped = official_years()[year].days
    package = holidays.China(years=year)
    listed = {day for day in package if day.year == year}
    assert listed <= shipped.holidays
    assert all(day.weekday() >= 5 for day in shipped.holidays - listed)
    assert {day for day in package.weekend_workdays if day.year == year} == shipped.make_up_workdays
    day = date(year, 1, 1)
    while day.year == year:
        package_works = (day.weekday() < 5 and day not in package) or day in package.weekend_workdays
        assert shipped.is_working_day(day) == package_works, day
        day += timedelta(days=1)

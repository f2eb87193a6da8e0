"""Counting working days: the rules as properties over any start and length, and the notices' breaks as golden
cases typed from the notices' own words."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.registry.calendar.counting import (
    LAST_DAY,
    OutOfRange,
    Pause,
    WorkingCalendar,
    YearDays,
    problems,
)
from services.registry.calendar.shipped import official_years

# No deadline: the machine running the suite is shared, and a slow example is not a wrong one.
PROPERTY = settings(deadline=None)
CALENDAR = WorkingCalendar(y.days for y in official_years().values())
SHIPPED = sorted(official_years())
DAY = timedelta(days=1)

# Around the shipped years and into the estimated ones on both sides.
starts = st.dates(min_value=date(SHIPPED[0] - 1, 1, 1), max_value=date(SHIPPED[-1] + 2, 12, 31))
lengths = st.integers(min_value=1, max_value=400)


def naive_count(calendar: WorkingCalendar, start: date, end: date) -> int:
    """The working days after ``start`` up to and including ``end``, one day at a time."""
    return sum(calendar.is_working_day(start + DAY * i) for i in range(1, (end - start).days + 1))


# Each shipped year's Spring Festival and National Day as its notice words them: the days off, from first to
# last, and the weekend days worked (e.g. 2026: "二、春节：2月15日…至23日…放假调休，共9天。2月14日（周六）、
# 2月28日（周六）上班。").
NOTICE_BREAKS = [
    (2021, "春节", "2021-02-11", "2021-02-17", ["2021-02-07", "2021-02-20"]),
    (2021, "国庆节", "2021-10-01", "2021-10-07", ["2021-09-26", "2021-10-09"]),
    (2022, "春节", "2022-01-31", "2022-02-06", ["2022-01-29", "2022-01-30"]),
    (2022, "国庆节", "2022-10-01", "2022-10-07", ["2022-10-08", "2022-10-09"]),
    (2023, "春节", "2023-01-21", "2023-01-27", ["2023-01-28", "2023-01-29"]),
    (2023, "中秋节、国庆节", "2023-09-29", "2023-10-06", ["2023-10-07", "2023-10-08"]),
    (2024, "春节", "2024-02-10", "2024-02-17", ["2024-02-04", "2024-02-18"]),
    (2024, "国庆节", "2024-10-01", "2024-10-07", ["2024-09-29", "2024-10-12"]),
    (2025, "春节", "2025-01-28", "2025-02-04", ["2025-01-26", "2025-02-08"]),
    (2025, "国庆节、中秋节", "2025-10-01", "2025-10-08", ["2025-09-28", "2025-10-11"]),
    (2026, "春节", "2026-02-15", "2026-02-23", ["2026-02-14", "2026-02-28"]),
    (2026, "国庆节", "2026-10-01", "2026-10-07", ["2026-09-20", "2026-10-10"]),
]


def test_every_shipped_year_has_its_breaks_among_the_golden_cases() -> None:
    assert sorted({year for year, *_ in NOTICE_BREAKS}) == SHIPPED
    assert {2024, 2025, 2026} <= set(SHIPPED)


@pytest.mark.parametrize(("year", "festival", "first", "last", "worked"), NOTICE_BREAKS)
def test_a_break_of_the_notice(year: int, festival: str, first: str, last: str, worked: list[str]) -> None:
    first_off, last_off = date.fromisoformat(first), date.fromisoformat(last)
    before, after = first_off - DAY, last_off + DAY
    assert all(not CALENDAR.is_working_day(first_off + DAY * i) for i in range((last_off - first_off).days + 1))
    for day in map(date.fromisoformat, worked):
        assert day.weekday() >= 5
        assert CALENDAR.is_working_day(day), day
        assert CALENDAR.count(day - DAY, day).value == 1
    # In each of these notices the days either side of the break are worked, so one working day after the eve
    # of the break is the day after it, and the break itself holds none.
    assert CALENDAR.is_working_day(before) and CALENDAR.is_working_day(after)
    assert CALENDAR.add(before, 1).value == after
    assert CALENDAR.count(before, last_off).value == 0
    assert CALENDAR.count(before, after).value == 1


@pytest.mark.parametrize(
    ("start", "working_days", "due_on"),
    [
        # 9-29, 9-30, (10-1 to 10-7 off), 10-8, 10-9, Saturday 10-10, then 10-12 to 10-16 and 10-19 to 10-23.
        ("2026-09-28", 15, "2026-10-23"),
        ("2026-02-13", 1, "2026-02-14"),  # a Saturday worked before the Spring Festival
        ("2026-02-13", 2, "2026-02-24"),  # then nine days off
        ("2025-01-24", 2, "2025-01-27"),  # Saturday 1-25 is off, Sunday 1-26 is worked
        ("2025-12-31", 1, "2026-01-04"),  # 1-1 to 1-3 off, and Sunday 1-4 is worked
        ("2025-12-31", 2, "2026-01-05"),
        ("2025-12-30", 1, "2025-12-31"),
        ("2024-09-27", 1, "2024-09-29"),  # Sunday 9-29 is worked before National Day
        ("2023-01-20", 1, "2023-01-28"),
    ],
)
def test_golden_due_dates(start: str, working_days: int, due_on: str) -> None:
    answer = CALENDAR.add(date.fromisoformat(start), working_days)
    assert answer.value == date.fromisoformat(due_on)
    assert answer.estimated is False
    assert CALENDAR.count(date.fromisoformat(start), answer.value).value == working_days


def test_golden_year_totals() -> None:
    # 2026: 261 weekdays, 19 of them off (1-1, 1-2; 2-16 to 2-20, 2-23; 4-6; 5-1, 5-4, 5-5; 6-19; 9-25;
    # 10-1, 10-2, 10-5 to 10-7), 6 weekend days worked.
    assert CALENDAR.count(date(2025, 12, 31), date(2026, 12, 31)).value == 261 - 19 + 6
    # 2025: 261 weekdays, 18 off (1-1; 1-28 to 1-31, 2-3, 2-4; 4-4; 5-1, 5-2, 5-5; 6-2; 10-1 to 10-3,
    # 10-6 to 10-8), 5 weekend days worked.
    assert CALENDAR.count(date(2024, 12, 31), date(2025, 12, 31)).value == 261 - 18 + 5


@PROPERTY
@given(starts, lengths)
def test_adding_then_counting_back_gives_n(start: date, n: int) -> None:
    due = CALENDAR.add(start, n)
    assert CALENDAR.count(start, due.value).value == n
    assert CALENDAR.count(start, due.value).estimated == due.estimated


@PROPERTY
@given(starts, lengths)
def test_the_due_date_is_a_working_day_and_grows_with_n(start: date, n: int) -> None:
    due = CALENDAR.add(start, n).value
    assert CALENDAR.is_working_day(due)
    assert due > start
    assert CALENDAR.add(start, n + 1).value > due
    # Nothing between the start and the due date is skipped: the working day before it is the (n-1)th.
    assert naive_count(CALENDAR, start, due - DAY) == n - 1


@PROPERTY
@given(starts, st.integers(min_value=0, max_value=800))
def test_the_count_agrees_with_counting_day_by_day(start: date, days: int) -> None:
    end = start + DAY * days
    assert CALENDAR.count(start, end).value == naive_count(CALENDAR, start, end)


@PROPERTY
@given(starts, st.integers(min_value=0, max_value=400), st.integers(min_value=0, max_value=400))
def test_counts_add_up_over_consecutive_stretches(start: date, first: int, second: int) -> None:
    middle, end = start + DAY * first, start + DAY * (first + second)
    assert CALENDAR.count(start, end).value == CALENDAR.count(start, middle).value + CALENDAR.count(middle, end).value


@pytest.mark.parametrize("year", SHIPPED)
def test_every_make_up_day_counts_and_every_weekday_holiday_does_not(year: int) -> None:
    days = official_years()[year].days
    for day in days.make_up_workdays:
        assert CALENDAR.count(day - DAY, day).value == 1, day
    for day in days.holidays:
        assert CALENDAR.count(day - DAY, day).value == 0, day
    estimate = WorkingCalendar([])
    saturdays_worked = [d for d in days.make_up_workdays if d.weekday() == 5]
    for day in saturdays_worked:
        assert estimate.count(day - DAY, day).value == 0


@st.composite
def pauses(draw: st.DrawFn, start: date) -> list[Pause]:
    found = []
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        began = start + DAY * draw(st.integers(min_value=-10, max_value=200))
        found.append(Pause(began, began + DAY * draw(st.integers(min_value=0, max_value=60))))
    return found


@PROPERTY
@given(st.data(), starts, lengths)
def test_pauses_stop_the_clock(data: st.DataObject, start: date, n: int) -> None:
    stops = data.draw(pauses(start))
    due = CALENDAR.add(start, n, stops).value
    assert CALENDAR.is_working_day(due)
    assert not any(p.began_on < due <= p.ended_on for p in stops)
    assert CALENDAR.count(start, due, stops).value == n
    assert due >= CALENDAR.add(start, n).value


@PROPERTY
@given(starts, lengths, st.integers(min_value=0, max_value=100), st.integers(min_value=0, max_value=40))
def test_a_pause_before_the_due_date_pushes_it_back_by_the_working_days_it_covers(
    start: date, n: int, offset: int, length: int
) -> None:
    due = CALENDAR.add(start, n).value
    began = min(start + DAY * offset, due - DAY)
    pause = Pause(began, began + DAY * length)
    covered = CALENDAR.count(pause.began_on, pause.ended_on).value
    assert CALENDAR.add(start, n, [pause]).value == CALENDAR.add(start, n + covered).value


def test_a_pause_begun_and_ended_on_one_day_costs_nothing() -> None:
    start = date(2026, 3, 2)
    assert CALENDAR.add(start, 15, [Pause(date(2026, 3, 5), date(2026, 3, 5))]) == CALENDAR.add(start, 15)


def test_overlapping_pauses_count_their_days_once() -> None:
    start = date(2026, 3, 2)  # a Monday in a month with no holiday
    both = [Pause(date(2026, 3, 3), date(2026, 3, 6)), Pause(date(2026, 3, 5), date(2026, 3, 10))]
    # Together they stop the clock from 3-4 to 3-10: five working days (3-4 to 3-6, 3-9, 3-10).
    assert CALENDAR.count(start, date(2026, 3, 31), both).value == CALENDAR.count(start, date(2026, 3, 31)).value - 5
    assert CALENDAR.add(start, 1, both).value == date(2026, 3, 3)
    assert CALENDAR.add(start, 2, both).value == date(2026, 3, 11)


def test_a_pause_cannot_end_before_it_begins() -> None:
    with pytest.raises(ValueError, match="before it begins"):
        Pause(date(2026, 3, 5), date(2026, 3, 4))


def test_an_estimated_year_counts_weekends_only_and_says_so() -> None:
    last_shipped = SHIPPED[-1]
    estimate_year = last_shipped + 1
    # 1 January is a holiday in every notice, but no notice for the year is known yet.
    new_year = date(estimate_year, 1, 1)
    assert CALENDAR.is_working_day(new_year) == (new_year.weekday() < 5)
    into = CALENDAR.add(date(last_shipped, 12, 30), 3)
    assert into.estimated is True
    within = CALENDAR.add(date(last_shipped, 1, 5), 3)
    assert within.estimated is False
    assert CALENDAR.count(date(last_shipped, 12, 31), date(last_shipped, 12, 31)).estimated is False
    assert CALENDAR.count(date(last_shipped, 12, 31), date(estimate_year, 1, 1)).estimated is True
    assert CALENDAR.count(date(SHIPPED[0] - 1, 12, 30), date(SHIPPED[0], 1, 10)).estimated is True


def test_publishing_a_year_moves_the_due_dates_counted_on_it() -> None:
    estimate_year = SHIPPED[-1] + 1
    start = date(estimate_year, 9, 28)
    before = CALENDAR.add(start, 15)
    national_day = frozenset(date(estimate_year, 10, d) for d in range(1, 8))
    published = WorkingCalendar(
        [*(y.days for y in official_years().values()), YearDays(estimate_year, national_day, official=True)]
    )
    after = published.add(start, 15)
    assert (before.estimated, after.estimated) == (True, False)
    weekdays_off = sum(d.weekday() < 5 for d in national_day)
    assert after.value == CALENDAR.add(start, 15 + weekdays_off).value


def test_limits_of_the_range_and_of_the_arguments() -> None:
    with pytest.raises(OutOfRange):
        CALENDAR.add(LAST_DAY - DAY * 3, 10)
    with pytest.raises(OutOfRange):
        CALENDAR.count(date(1999, 12, 31), date(2000, 1, 3))
    with pytest.raises(ValueError, match="at least one"):
        CALENDAR.add(date(2026, 1, 5), 0)
    with pytest.raises(ValueError, match="before its start"):
        CALENDAR.count(date(2026, 1, 5), date(2026, 1, 4))


def test_problems_name_each_misplaced_date() -> None:
    found = problems(
        2027,
        [date(2027, 1, 1), date(2026, 12, 31), date(2027, 1, 1), date(2027, 2, 6)],
        [date(2027, 2, 6), date(2027, 2, 8), date(2028, 1, 1), date(2027, 2, 7)],
    )
    assert [(name, index) for name, index, _ in found] == [
        ("holidays", 1),
        ("holidays", 2),
        ("make_up_workdays", 0),
        ("make_up_workdays", 1),
        ("make_up_workdays", 2),
    ]
    assert problems(2027, [date(2027, 1, 1)], [date(2027, 2, 7)]) == []


@settings(max_examples=50, deadline=None)
@given(
    st.sets(st.dates(min_value=date(2030, 1, 1), max_value=date(2031, 12, 31)), max_size=40),
    st.dates(min_value=date(2030, 1, 1), max_value=date(2031, 12, 31)),
    lengths,
)
def test_any_published_days_keep_the_rules(off: set[date], start: date, n: int) -> None:
    worked = {d for d in off if d.weekday() >= 5 and d.day % 2}
    off -= worked
    years = [
        YearDays(y, frozenset(d for d in off if d.year == y), frozenset(d for d in worked if d.year == y), True)
        for y in (2030, 2031)
    ]
    calendar = WorkingCalendar(years)
    due = calendar.add(start, n).value
    assert calendar.is_working_day(due)
    assert calendar.count(start, due).value == n == naive_count(calendar, start, due)

"""Write the shipped official years, ``years/<year>.json``, from the ``chinesecalendar`` package.

    .venv/bin/python -m services.registry.calendar.generate

``chinesecalendar`` (a pinned test dependency) transcribes every State Council holiday notice; this script takes
from it, for each year in ``NOTICES``, the days the notice gives off and the weekend days it makes working days,
and writes them beside the notice. The notices' titles, numbers and dates are recorded here because the package
does not carry them. A test runs ``render`` again and fails when a committed file differs, and cross-checks the
files against the ``holidays`` package. To ship a new year: pin a ``chinesecalendar`` that has it, add its
notice below, run this script, and commit the new file.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import chinese_calendar

from services.registry.calendar.shipped import YEARS_DIR, Notice, as_json

NOTICES = {
    2021: Notice("国务院办公厅关于2021年部分节假日安排的通知", "国办发明电〔2020〕27号", date(2020, 11, 25)),
    2022: Notice("国务院办公厅关于2022年部分节假日安排的通知", "国办发明电〔2021〕11号", date(2021, 10, 25)),
    2023: Notice("国务院办公厅关于2023年部分节假日安排的通知", "国办发明电〔2022〕16号", date(2022, 12, 8)),
    2024: Notice("国务院办公厅关于2024年部分节假日安排的通知", "国办发明电〔2023〕7号", date(2023, 10, 25)),
    2025: Notice("国务院办公厅关于2025年部分节假日安排的通知", "国办发明电〔2024〕12号", date(2024, 11, 12)),
    2026: Notice("国务院办公厅关于2026年部分节假日安排的通知", "国办发明电〔2025〕7号", date(2025, 11, 4)),
}


def render(year: int) -> str:
    """The file for ``year``, as committed."""
    holidays, make_up = [], []
    day = date(year, 1, 1)
    while day.year == year:
        off, festival = chinese_calendar.get_holiday_detail(day)
        # A festival's name marks a day the notice speaks of; an ordinary weekend has none.
        if festival is not None and off:
            holidays.append(day)
        elif festival is not None and day.weekday() >= 5:
            make_up.append(day)
        day += timedelta(days=1)
    content = as_json(year, NOTICES[year], holidays, make_up)
    return json.dumps(content, ensure_ascii=False, indent=2) + "\n"


def main() -> None:
    YEARS_DIR.mkdir(exist_ok=True)
    for year in NOTICES:
        path = YEARS_DIR / f"{year}.json"
        path.write_text(render(year), encoding="utf-8")
        print(f"wrote {path.name}")


if __name__ == "__main__":
    main()

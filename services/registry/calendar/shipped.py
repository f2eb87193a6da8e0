"""The official years shipped with the registry: ``years/<year>.json``, written by ``generate.py``.

Each file holds one calendar year's days off and weekend working days, as the State Council's notice for the
year gives them, and the notice itself (title, document number, date). The files are read once per process.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from services.registry.calendar.counting import YearDays

YEARS_DIR = Path(__file__).parent / "years"


@dataclass(frozen=True, slots=True)
class Notice:
    """The State Council General Office's notice (国务院办公厅关于…年部分节假日安排的通知) behind a year."""

    title: str
    number: str
    date: date


@dataclass(frozen=True, slots=True)
class OfficialYear:
    days: YearDays
    source: Notice


def as_json(year: int, notice: Notice, holidays: list[date], make_up_workdays: list[date]) -> dict[str, Any]:
    """A year's file content: the notice, then its days in order."""
    return {
        "year": year,
        "source": {"title": notice.title, "number": notice.number, "date": notice.date.isoformat()},
        "holidays": [d.isoformat() for d in sorted(holidays)],
        "make_up_workdays": [d.isoformat() for d in sorted(make_up_workdays)],
    }


def _read(path: Path) -> OfficialYear:
    content = json.loads(path.read_text(encoding="utf-8"))
    source = content["source"]
    return OfficialYear(
        days=YearDays(
            year=content["year"],
            holidays=frozenset(date.fromisoformat(d) for d in content["holidays"]),
            make_up_workdays=frozenset(date.fromisoformat(d) for d in content["make_up_workdays"]),
            official=True,
        ),
        source=Notice(title=source["title"], number=source["number"], date=date.fromisoformat(source["date"])),
    )


@functools.cache
def official_years() -> dict[int, OfficialYear]:
    """Every shipped year by number."""
    years = (_read(path) for path in sorted(YEARS_DIR.glob("*.json")))
    return {y.days.year: y for y in years}

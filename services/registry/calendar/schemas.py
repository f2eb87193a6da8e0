"""The working-day calendar as the API speaks of it."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.common.days import Day


class Basis(StrEnum):
    """Where a year's days come from: `shipped` the notice shipped with the registry (随系统发布), `published` a
    notice published by a city admin (市级发布), `estimate` no notice yet, weekends only (估算)."""

    shipped = "shipped"
    published = "published"
    estimate = "estimate"


class NoticeWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Field(min_length=1, max_length=200, examples=["国务院办公厅关于2027年部分节假日安排的通知"])]
    number: Annotated[str, Field(min_length=1, max_length=64, examples=["国办发明电〔2026〕9号"])]
    date: Day = Field(description="The notice's date; not in the future.")


class NoticeRead(BaseModel):
    title: str
    number: str = Field(description="The document number, e.g. `国办发明电〔2025〕7号`.")
    date: date


class CalendarYearPublish(BaseModel):
    """A year's notice: the days it gives off and the weekend days it makes working days."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "holidays": ["2026-01-01", "2026-01-02", "2026-01-03"],
                    "make_up_workdays": ["2026-01-04"],
                    "source": {
                        "title": "国务院办公厅关于2026年部分节假日安排的通知",
                        "number": "国办发明电〔2025〕7号",
                        "date": "2025-11-04",
                    },
                }
            ]
        },
    )

    holidays: list[Day] = Field(
        max_length=366,
        description="Every day the notice gives off (weekend days inside a break may be listed too), in the year.",
    )
    make_up_workdays: list[Day] = Field(
        max_length=106,
        description="The Saturdays and Sundays the notice makes working days (调休上班), in the year.",
    )
    source: NoticeWrite


class CalendarYearRead(BaseModel):
    year: int
    official: bool = Field(description="False for an estimate: only weekends are known to be off.")
    basis: Basis = Field(
        description="`shipped` (the notice as shipped with the registry), `published` (by a city admin) or "
        "`estimate` (no notice yet: weekends only)."
    )
    holidays: list[date] = Field(description="Days off, in order.")
    make_up_workdays: list[date] = Field(description="Weekend days worked (调休上班), in order.")
    source: NoticeRead | None = Field(description="The State Council notice; null for an estimate.")
    published_by: str | None = None
    published_at: datetime | None = None


class DueDate(BaseModel):
    due_on: date = Field(description="The working day on which the period ends.")
    estimated: bool = Field(description="True when a day counted lies in a year that is only an estimate.")


class WorkingDayCount(BaseModel):
    working_days: int = Field(description="Working days after `start` up to and including `end`.")
    estimated: bool = Field(description="True when a day counted lies in a year that is only an estimate.")

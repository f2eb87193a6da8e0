"""Coordination items as the API takes and shows them, and the payload of the event they emit."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.common.days import Day
from services.registry.coordination.status import CoordinationAction, CoordinationState


class CoordinationTopic(StrEnum):
    """What the problem is about: `power` 电力接入, `water` 供水接入, `gas` 燃气接入, `supporting_facilities`
    配套设施, `permits` 手续办理, `funding` 资金, `other` (named in `topic_name`)."""

    power = "power"
    water = "water"
    gas = "gas"
    supporting_facilities = "supporting_facilities"
    permits = "permits"
    funding = "funding"
    other = "other"


Name = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(min_length=1, max_length=4000)]
WorkingDays = Annotated[int, Field(ge=1, le=250)]


class CoordinationItemCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "topic": "power",
                    "description": "3号楼正式用电接入，供电公司尚未排期",
                    "lead_department": "国网市供电公司",
                    "raised_on": "2026-10-12",
                    "deadline_working_days": 10,
                }
            ]
        },
    )

    topic: CoordinationTopic
    topic_name: Name | None = Field(
        None, description="What the problem is, for `other` (required there, else not given)."
    )
    description: Text
    lead_department: Name = Field(description="The department that leads the solution (牵头部门).")
    raised_on: Day | None = Field(
        None, description="The day the problem was raised; default today, never in the future."
    )
    deadline_working_days: WorkingDays = Field(
        description="Working days the department has, counted from `raised_on` on the working-day calendar."
    )


class CoordinationTransition(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"action": "accept", "on": "2026-10-13"},
                {"action": "resolve", "on": "2026-10-20", "resolution": "已完成临电转正式用电"},
                {"action": "reopen", "note": "3号楼仍未通电", "deadline_working_days": 5},
                {"action": "escalate", "note": "市政府督办"},
            ]
        },
    )

    action: CoordinationAction
    on: Day | None = Field(
        None, description="When it happened; default today, never in the future nor before the item's last move."
    )
    note: Text | None = Field(None, description="Required for `reopen` (what is still wrong) and `escalate` (督办).")
    resolution: Text | None = Field(None, description="Required for `resolve`: what was done.")
    deadline_working_days: WorkingDays | None = Field(
        None,
        description="For `reopen`: the new deadline, counted from the reopening day; default the item's last one.",
    )


class CoordinationItemRead(BaseModel):
    id: str
    project_id: str
    district: str
    topic: CoordinationTopic
    topic_name: str | None
    description: str
    lead_department: str
    raised_on: date
    deadline_working_days: int = Field(description="The current deadline, in working days from `deadline_from`.")
    deadline_from: date = Field(description="`raised_on`, or the day of the last reopening.")
    state: CoordinationState
    accepted_on: date | None
    resolved_on: date | None = Field(description="The last resolution; cleared when the item is reopened.")
    resolution: str | None
    confirmed_on: date | None
    reopened_on: date | None = Field(description="The last reopening.")
    times_reopened: int
    due_on: date = Field(description="`deadline_working_days` working days after `deadline_from`.")
    overdue: bool = Field(description="Not resolved (raised, accepted or reopened) and past `due_on`.")
    working_days_overdue: int = Field(
        description="Working days after `due_on` up to today (open) or to its resolution (resolved late); else 0."
    )
    resolved_within_deadline: bool | None = Field(description="For a resolved or confirmed item: by `due_on`.")
    estimated: bool = Field(description="A day counted lies in a year whose holiday notice is not known yet.")
    escalated: bool = Field(description="Escalated (督办) while overdue.")
    escalated_on: date | None
    escalation_note: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime


class CoordinationItemOverdue(BaseModel):
    """`coordination_item.overdue`: an item not yet resolved passed its due date; sent once per item and
    deadline (a reopened item's new deadline may be announced again) by the registry's daily job."""

    coordination_item_id: str
    district: str
    topic: CoordinationTopic
    topic_name: str | None
    lead_department: str
    state: CoordinationState
    raised_on: date
    deadline_from: date
    deadline_working_days: int
    due_on: date
    working_days_overdue: int
    estimated: bool

"""Project resources as the API shows them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.common.days import Day
from services.common.money import Money, MoneyRead
from services.registry.projects.status import ProjectStatus


class RiskTier(StrEnum):
    """A risk tier (风险等级), from highest to lowest: `red` 红, `orange` 橙, `yellow` 黄, `green` 绿."""

    red = "red"
    orange = "orange"
    yellow = "yellow"
    green = "green"


Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=4, decimal_places=1, examples=["45.5"])]
Units = Annotated[int, Field(ge=0, le=1_000_000)]
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")]
Text200 = Annotated[str, Field(min_length=1, max_length=200)]


class ProjectCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "HZ-2024-017",
                    "name": "滨江示例花园",
                    "district": "990101",
                    "developer_id": "0b5f8a3e-3c2d-4f6a-9d1e-7a8b9c0d1e2f",
                    "total_units": 1200,
                    "sold_units": 980,
                    "contract_delivery_date": "2026-06-30",
                    "progress_pct": "45.5",
                    "remaining_cost": "125000000.00",
                    "own_funds_available": "30000000.00",
                    "responsible_unit": "滨江区住建局",
                    "responsible_person": "王某",
                }
            ]
        },
    )

    code: Code = Field(description="The city's unique project code.")
    name: Text200
    district: str = Field(min_length=1, max_length=12, description="A district code from `GET /v1/districts`.")
    developer_id: str = Field(min_length=36, max_length=36)
    total_units: Annotated[int, Field(ge=1, le=1_000_000)]
    sold_units: Units
    delivered_units: Units = 0
    contract_delivery_date: Day
    status: ProjectStatus = ProjectStatus.registered
    progress_pct: Percent = Decimal("0")
    remaining_cost: Money
    own_funds_available: Money
    responsible_unit: Text200 | None = None
    responsible_person: Annotated[str, Field(min_length=1, max_length=100)] | None = None


class ProjectUpdate(BaseModel):
    """Fields to change; a field left out stays as it is. ``status`` moves along the status machine."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"status": "under_construction", "progress_pct": "52"}]}
    )

    name: Text200 | None = None
    developer_id: Annotated[str, Field(min_length=36, max_length=36)] | None = None
    total_units: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    sold_units: Units | None = None
    delivered_units: Units | None = None
    contract_delivery_date: Day | None = None
    status: ProjectStatus | None = None
    progress_pct: Percent | None = None
    remaining_cost: Money | None = None
    own_funds_available: Money | None = None
    responsible_unit: Text200 | None = None
    responsible_person: Annotated[str, Field(min_length=1, max_length=100)] | None = None


class ProjectRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    code: str
    name: str
    district: str
    developer_id: str
    total_units: int
    sold_units: int
    delivered_units: int
    contract_delivery_date: date
    status: ProjectStatus
    progress_pct: Decimal
    stall_started_on: date | None
    remaining_cost: MoneyRead
    own_funds_available: MoneyRead
    responsible_unit: str | None
    responsible_person: str | None
    risk_tier: RiskTier | None = Field(description="Cached from the risk service; read-only.")
    task_force_leader_name: str | None = Field(
        None, description="The current task force's leader (包保领导); set by `PUT /v1/projects/{id}/task-force`."
    )
    task_force_leader_title: str | None = Field(None, description="The leader's title (职务).")
    stop_work_order: bool = Field(
        False,
        description="Under a stop-work order (停工整改): a `stop_work` finding of an inspection is not closed yet. "
        "Set and lifted by the findings, never by a PATCH.",
    )
    version: int = Field(description="Increases with every change; the ETag carries it.")
    created_at: datetime
    updated_at: datetime


class ProjectSort(StrEnum):
    """The order of a project list: `code`, `name`, `updated_at` or `contract_delivery_date` (合同约定交付日期),
    ascending; with a leading `-` (`-code`, `-name`, `-updated_at`, `-contract_delivery_date`) descending."""

    code = "code"
    code_desc = "-code"
    name = "name"
    name_desc = "-name"
    updated_at = "updated_at"
    updated_at_desc = "-updated_at"
    contract_delivery_date = "contract_delivery_date"
    contract_delivery_date_desc = "-contract_delivery_date"

"""A project's task force (工作专班) as the API shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.registry.projects.schemas import Text200

Name = Annotated[str, Field(min_length=1, max_length=100)]


class Leader(BaseModel):
    """The leader who answers for the project (包保领导)."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    name: Name
    title: Text200 = Field(description="The leader's post (职务), e.g. 副区长.")


class Member(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    name: Name
    unit: Text200 = Field(description="The member's unit (单位).")
    role: Text200 = Field(description="What the member does in the task force (分工).")


class TaskForceCreate(BaseModel):
    """A new version of the project's task force; members (by name and unit) and departments each once."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "leader": {"name": "李明", "title": "滨江区副区长"},
                    "lead_unit": "滨江区住建局",
                    "members": [
                        {"name": "王强", "unit": "滨江区住建局", "role": "专班联络员"},
                        {"name": "赵敏", "unit": "滨江区自然资源局", "role": "审批协调"},
                    ],
                    "departments": ["滨江区住建局", "滨江区自然资源局", "滨江区财政局"],
                }
            ]
        },
    )

    leader: Leader
    lead_unit: Text200 = Field(description="The unit that leads the task force (牵头单位).")
    members: list[Member] = Field(default_factory=list, max_length=100)
    departments: list[Text200] = Field(
        default_factory=list, max_length=50, description="The departments involved (参与部门)."
    )


class TaskForceRead(BaseModel):
    id: str
    project_id: str
    version: int = Field(description="1 for the first task force, one more for every change.")
    current: bool = Field(description="Whether this is the version in force.")
    leader: Leader
    lead_unit: str
    members: list[Member]
    departments: list[str]
    created_by: str
    created_at: datetime

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.registry.developers import credit_code


class DeveloperCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "杭州示例置业有限公司", "credit_code": "91330100MA2H3K7P41"}]},
    )

    name: str = Field(min_length=1, max_length=200)
    credit_code: str = Field(
        min_length=18, max_length=18, description="统一社会信用代码: 18 characters, the last a check character."
    )

    @field_validator("credit_code")
    @classmethod
    def _valid_code(cls, value: str) -> str:
        return credit_code.validate(value)


class DeveloperRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    credit_code: str
    created_at: datetime

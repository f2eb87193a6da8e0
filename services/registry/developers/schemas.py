from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.common.credit_code import CreditCode


class DeveloperCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "杭州示例置业有限公司", "credit_code": "91330100MA2H3K7P41"}]},
    )

    name: str = Field(min_length=1, max_length=200)
    credit_code: CreditCode


class DeveloperRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    credit_code: str
    created_at: datetime

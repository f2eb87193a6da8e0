"""Banks as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

BANK_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_\-]*$"

BankCode = Annotated[
    str,
    Field(
        min_length=2,
        max_length=32,
        pattern=BANK_CODE_PATTERN,
        description="The code a bank's token names in its `bank` claim.",
        examples=["ICBC-HZ"],
    ),
]


class BankCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"code": "ICBC-HZ", "name": "工商银行杭州分行"}]}
    )

    code: BankCode
    name: Annotated[str, Field(min_length=1, max_length=200, examples=["工商银行杭州分行"])]


class BankRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    code: str
    name: str
    created_at: datetime

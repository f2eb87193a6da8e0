"""Financing settings (prefix ``FINANCING_``)."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class FinancingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FINANCING_", extra="ignore", populate_by_name=True)

    service_name: str = "financing"
    port: int = 8003
    secret_rotation_overlap_seconds: float = Field(
        24 * 3600, ge=0, description="After a rotation, the old endpoint secret keeps signing this long."
    )
    max_endpoints_per_bank: int = Field(
        10, ge=1, description="A bank may register at most this many webhook endpoints (disabled ones count)."
    )
    endpoint_disable_after_seconds: float = Field(
        5 * 24 * 3600, gt=0, description="An endpoint whose every attempt failed for this long is disabled."
    )

    @model_validator(mode="after")
    def _defaults(self) -> FinancingSettings:
        if not self.database_url:
            self.database_url = self.sqlite_default("financing")
        return self

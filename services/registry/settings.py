"""Registry settings (prefix ``REGISTRY_``)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import SettingsConfigDict

from services.common.events import EventType
from services.common.settings import ServiceSettings, Subscriber


class District(BaseModel):
    code: str
    name: str


DEMO_DISTRICTS = [
    District(code="990101", name="东湖区"),
    District(code="990102", name="西山区"),
    District(code="990103", name="南岸区"),
    District(code="990104", name="北城区"),
    District(code="990105", name="高新区"),
    District(code="990121", name="临江县"),
]


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore", populate_by_name=True)

    service_name: str = "registry"
    port: int = 8001
    districts: list[District] = Field(default_factory=lambda: list(DEMO_DISTRICTS))
    # A project lags when its plan calls for more than this many percentage points above its reported progress.
    lagging_margin_pct: Decimal = Decimal("10")

    @model_validator(mode="after")
    def _defaults(self) -> RegistrySettings:
        if not self.database_url:
            self.database_url = self.sqlite_default("registry")
        if "subscribers" not in self.model_fields_set:
            self.subscribers = [
                Subscriber(url=f"{self.risk_url}/v1/inbox", types=[EventType.project_facts_changed.value])
            ]
        return self

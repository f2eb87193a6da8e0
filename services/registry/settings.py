"""Registry settings (prefix ``REGISTRY_``)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field, field_validator, model_validator
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


class ApprovalLimit(BaseModel):
    """An approval item's limits in working days: the statutory one, and the one the city commits to."""

    statutory: int = Field(ge=1, le=1000)
    committed: int = Field(ge=1, le=1000)


# 行政许可法 §42: 20 working days unless a law says otherwise; 不动产登记暂行条例 §20: 30 for a registration.
# The city's promise (the speech's 15 working days) is the committed limit.
DEFAULT_APPROVAL_LIMITS: dict[str, ApprovalLimit] = {
    "construction_permit": ApprovalLimit(statutory=20, committed=15),
    "planning_verification": ApprovalLimit(statutory=20, committed=15),
    "completion_filing": ApprovalLimit(statutory=20, committed=15),
    "presale_permit": ApprovalLimit(statutory=20, committed=15),
    "first_registration": ApprovalLimit(statutory=30, committed=15),
    "other": ApprovalLimit(statutory=20, committed=15),
}


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore", populate_by_name=True)

    service_name: str = "registry"
    port: int = 8001
    districts: list[District] = Field(default_factory=lambda: list(DEMO_DISTRICTS))
    # A project lags when its plan calls for more than this many percentage points above its reported progress.
    lagging_margin_pct: Decimal = Decimal("10")
    # Serve the project read and list on the fast lane (docs/adr/0017); off, they go through FastAPI's router.
    fast_lane: bool = True
    # Each approval item's statutory and committed limits, in working days; a committed limit above the
    # statutory one refuses to start.
    approval_limits: dict[str, ApprovalLimit] = Field(default_factory=lambda: dict(DEFAULT_APPROVAL_LIMITS))
    # An open approval is `due_soon` when this many working days or fewer are left.
    approval_due_soon_working_days: int = Field(3, ge=0, le=100)
    # The daily job (overdue approvals, overdue 容缺 materials) runs at the city's midnight when true.
    run_daily_jobs: bool = True
    # The monthly bulletin as a document (Accept: text/html or application/pdf): its title block after GB/T 9704,
    # the longest named list it prints (the CSV sections carry every row), and the fonts the PDF embeds.
    bulletin_issuer: str = Field("市保交房工作专班办公室", min_length=1, max_length=60)
    bulletin_number: str = Field(
        "保交房通报〔{year}〕{month}号",
        max_length=60,
        description="The document number; {year} and {month} are the bulletin's.",
    )
    bulletin_list_limit: int = Field(
        20, ge=1, le=10_000, description="The most rows each named list of the bulletin prints; the rest are counted."
    )
    bulletin_fonts: list[str] = Field(default_factory=lambda: ["Noto Serif CJK SC", "Noto Sans CJK SC"])
    # Spreadsheet imports (POST /v1/projects/import, /v1/progress-reports/import): the largest file taken (413
    # `body-too-large` beyond it) and the most rows (413 `too-many-rows`): a year of weekly sheets for 1,000
    # projects is 52,000 rows.
    import_max_bytes: int = Field(16 * 1024 * 1024, ge=1024, le=256 * 1024 * 1024)
    import_max_rows: int = Field(60_000, ge=1, le=1_000_000)

    @field_validator("bulletin_number")
    @classmethod
    def _check_number(cls, value: str) -> str:
        try:
            value.format(year=2026, month=1)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError("may name only {year} and {month}") from exc
        return value

    @field_validator("approval_limits")
    @classmethod
    def _check_limits(cls, value: dict[str, ApprovalLimit]) -> dict[str, ApprovalLimit]:
        unknown = sorted(set(value) - set(DEFAULT_APPROVAL_LIMITS))
        if unknown:
            raise ValueError(f"unknown approval items: {', '.join(unknown)}")
        above = sorted(item for item, limit in value.items() if limit.committed > limit.statutory)
        if above:
            raise ValueError(f"the committed limit is above the statutory one for: {', '.join(above)}")
        return {**DEFAULT_APPROVAL_LIMITS, **value}

    @model_validator(mode="after")
    def _defaults(self) -> RegistrySettings:
        if not self.database_url:
            self.database_url = self.sqlite_default("registry")
        if "subscribers" not in self.model_fields_set:
            self.subscribers = [
                Subscriber(url=f"{self.risk_url}/v1/inbox", types=[EventType.project_facts_changed.value])
            ]
        return self

"""Risk settings (prefix ``RISK_``)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson
from pydantic import Field, PrivateAttr, model_validator
from pydantic_settings import SettingsConfigDict

from services.common.events import EventType
from services.common.settings import ServiceSettings, Subscriber
from services.risk.model import DEFAULT_THRESHOLDS, PolicyRule, Thresholds
from services.risk.model.artifact import DEFAULT_ARTIFACT


class RiskSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="RISK_", extra="ignore", populate_by_name=True)

    service_name: str = "risk"
    port: int = 8002
    # A batch of 10,000 items is about 2.5 MB of JSON.
    max_body_bytes: int = 8 * 1024 * 1024
    model_path: Path = Field(DEFAULT_ARTIFACT, description="The skops artifact; its model_card.json lies beside it.")
    thresholds: Thresholds = Field(
        DEFAULT_THRESHOLDS, description="Versioned tier thresholds (JSON), optionally with their policy rules."
    )
    policy_rules: list[PolicyRule] | None = Field(
        None, description="Policy rules (JSON list) replacing those of `thresholds`; unset keeps them."
    )
    fall_after: int = Field(3, ge=1, description="Consecutive lower assessments before a tier falls.")
    override_default_days: int = Field(30, ge=1, le=3650, description="Days an override lasts unless told.")
    funding_retry_seconds: float = Field(60.0, gt=0, description="How often funding-unknown assessments are retried.")
    reassess_delay_seconds: float = Field(
        0.2, ge=0, description="Wait after a facts_changed event, so that events close together are assessed at once."
    )
    peer_bulk_timeout_seconds: float = Field(
        60.0, gt=0, description="Timeout of the bulk calls to registry and financing (the whole ledger at once)."
    )
    assessment_chunk_size: int = Field(5_000, ge=1, le=10_000, description="Projects per peer call and transaction.")
    run_workers: bool = Field(True, description="Run the reassessment and funding-retry loops in this process.")

    _tier_config: Thresholds = PrivateAttr(DEFAULT_THRESHOLDS)

    @model_validator(mode="after")
    def _defaults(self) -> RiskSettings:
        if not self.database_url:
            self.database_url = self.sqlite_default("risk")
        if "subscribers" not in self.model_fields_set:
            tier_changed = [EventType.project_risk_tier_changed.value]
            self.subscribers = [
                Subscriber(url=f"{self.registry_url}/v1/inbox", types=tier_changed),
                Subscriber(url=f"{self.financing_url}/v1/inbox", types=tier_changed),
            ]
        self._tier_config = self._effective_thresholds()
        return self

    @property
    def tier_config(self) -> Thresholds:
        """The thresholds in force: ``policy_rules``, when set, replace the rules of ``thresholds``.

        Replaced rules get a version of their own (``<thresholds version>+rules.<hash>``), so an assessment's
        ``thresholds_version`` always names the exact configuration that decided its tier.
        """
        return self._tier_config

    def _effective_thresholds(self) -> Thresholds:
        if self.policy_rules is None or tuple(self.policy_rules) == self.thresholds.rules:
            return self.thresholds
        rules = [rule.model_dump(mode="json") for rule in self.policy_rules]
        digest = hashlib.sha256(orjson.dumps(rules)).hexdigest()[:8]
        return Thresholds.model_validate(
            {
                **self.thresholds.model_dump(mode="json"),
                "version": f"{self.thresholds.version}+rules.{digest}",
                "rules": rules,
            }
        )

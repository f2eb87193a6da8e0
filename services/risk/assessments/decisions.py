"""What an assessment decides, without I/O: which overrides still apply, the tier to publish, and the rows that
record it. ``Assessor._store`` reads the locked state, calls these, and writes what they return."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, TypeVar

from services.common.db import new_id
from services.risk.assessments.facts import ProjectInputs
from services.risk.model import RiskTier, next_tier


class _Expiring(Protocol):
    @property
    def expires_at(self) -> datetime: ...


OverrideT = TypeVar("OverrideT", bound=_Expiring)


def split_expired(
    overrides: Mapping[str, OverrideT], now: datetime
) -> tuple[dict[str, OverrideT], dict[str, OverrideT]]:
    """The open overrides by project: those still in force at ``now``, and those whose expiry has come."""
    in_force = {project: o for project, o in overrides.items() if o.expires_at > now}
    expired = {project: o for project, o in overrides.items() if o.expires_at <= now}
    return in_force, expired


@dataclass(frozen=True, slots=True)
class Published:
    """The tier an assessment publishes, and the hysteresis state it leaves."""

    hysteresis_tier: RiskTier
    lower_streak: int
    tier: RiskTier

    def changes(self, cached_tier: str | None) -> bool:
        return self.tier.value != cached_tier


def publish(
    computed: RiskTier, held: str | None, lower_streak: int, override_tier: str | None, fall_after: int
) -> Published:
    """The model's ``computed`` tier through hysteresis (``held`` and its streak of lower assessments), then an
    override in force over both. Raises ValueError when ``fall_after < 1``."""
    hysteresis_tier, streak = next_tier(RiskTier(held) if held else None, lower_streak, computed, fall_after)
    tier = RiskTier(override_tier) if override_tier else hysteresis_tier
    return Published(hysteresis_tier, streak, tier)


@dataclass(frozen=True, slots=True)
class Context:
    """What every assessment of one chunk shares."""

    trigger: str
    as_of: date
    now: datetime
    request_id: str | None


def assessment_row(
    project: ProjectInputs,
    result: Mapping[str, Any],
    published: Published,
    *,
    number: int,
    previous_tier: str | None,
    override_id: str | None,
    context: Context,
) -> dict[str, Any]:
    """The ``assessments`` row of one project's assessment."""
    computed: RiskTier = result["tier"]
    return {
        "id": new_id(),
        "project_id": project.project_id,
        "number": number,
        "district": project.district,
        "created_at": context.now,
        "trigger": context.trigger,
        "request_id": context.request_id,
        "facts_as_of": context.as_of,
        "facts": project.facts,
        "features": project.features_json,
        "funding_unknown": result["funding_unknown"],
        "probability": result["probability"],
        "score": result["score"],
        "contributions": result["contributions"],
        "reason_codes": [{"code": r.code, "zh": r.zh, "en": r.en} for r in result["reason_codes"]],
        "rules_fired": result["rules_fired"],
        "model_version": result["model_version"],
        "thresholds_version": result["thresholds_version"],
        "computed_tier": computed.value,
        "hysteresis_tier": published.hysteresis_tier.value,
        "lower_streak": published.lower_streak,
        "override_id": override_id,
        "tier": published.tier.value,
        "previous_tier": previous_tier,
    }


def state_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """The ``project_risk_state`` row an assessment row leaves."""
    return {
        "project_id": row["project_id"],
        "district": row["district"],
        "assessments": row["number"],
        "last_assessment_id": row["id"],
        "hysteresis_tier": row["hysteresis_tier"],
        "lower_streak": row["lower_streak"],
        "tier": row["tier"],
        "funding_unknown": row["funding_unknown"],
        "updated_at": row["created_at"],
    }


_SUMMARY = ("project_id", "probability", "score", "computed_tier", "tier", "previous_tier", "funding_unknown")


def summary(row: Mapping[str, Any]) -> dict[str, Any]:
    """What a run answers about one assessment."""
    return {"project_id": row["project_id"], "assessment_id": row["id"], **{k: row[k] for k in _SUMMARY[1:]}}

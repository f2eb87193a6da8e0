"""``project.risk_tier_changed``: what risk tells its peers (written with ``Outbox.emit`` or ``emit_many``)."""

from __future__ import annotations

from typing import Any


def tier_changed_data(
    *,
    tier: str,
    previous_tier: str | None,
    assessment: dict[str, Any],
    override_id: str | None,
) -> dict[str, Any]:
    """The ``data`` of a ``project.risk_tier_changed`` event (``project_id`` and ``sequence`` are added on emit)."""
    return {
        "tier": tier,
        "previous_tier": previous_tier,
        "probability": assessment["probability"],
        "score": assessment["score"],
        "reason_codes": assessment["reason_codes"],
        "model_version": assessment["model_version"],
        "thresholds_version": assessment["thresholds_version"],
        "assessment_id": assessment["id"],
        "override_id": override_id,
    }

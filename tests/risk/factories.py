"""Feature payloads for the scoring tests: valid by default, overridable feature by feature."""

from __future__ import annotations

from typing import Any


def features(**overrides: Any) -> dict[str, Any]:
    """A troubled project's features, as a client sends them."""
    return {
        "stall_days": 120,
        "progress_lag_pct": 18.5,
        "funding_gap_amount": "35000000.00",
        "funding_gap_ratio": 0.28,
        "disputes_30d": 2,
        "disputes_90d": 5,
        "group_incidents_90d": 0,
        "overdue_days": 0,
        **overrides,
    }


def quiet(**overrides: Any) -> dict[str, Any]:
    """A project with nothing wrong."""
    calm: dict[str, Any] = {
        "stall_days": 0,
        "progress_lag_pct": 0,
        "funding_gap_amount": "0.00",
        "funding_gap_ratio": 0,
        "disputes_30d": 0,
        "disputes_90d": 0,
    }
    return features(**{**calm, **overrides})

"""Labels from the outcomes the registry records: was a project delivered within 12 months of its contract date?

``python -m services.risk.train_from_registry`` fetches the outcomes over HTTP and pairs each with the risk
service's own last assessment before it, so the features are the facts as they stood before the answer was
known; this module only turns an outcome into a label.

Label: 1 when the project was not delivered within 12 months of its contract delivery date: ``terminated`` is
1, ``delivered_on_time`` is 0, and ``delivered_late`` is 1 unless both ``delivered_on`` and
``contract_delivery_date`` are given and show delivery within 12 months of the contract date.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class OutcomeKind(StrEnum):
    """What finally happened to a project, as the registry records it."""

    delivered_on_time = "delivered_on_time"
    delivered_late = "delivered_late"
    terminated = "terminated"


class RegistryContractError(ValueError):
    """An outcome the registry sent does not have the documented shape."""


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole calendar months, clamped to the month's last day (29 Feb + 12 months = 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def outcome_label(outcome: Mapping[str, Any] | None, contract_delivery_date: dt.date | None) -> int | None:
    """1 when not delivered within 12 months of the contract date, 0 when delivered in time, None without outcome.

    Raises ``RegistryContractError`` for an unknown outcome kind or a malformed date.
    """
    if outcome is None:
        return None
    try:
        kind = OutcomeKind(outcome["kind"])
        delivered_on = outcome.get("delivered_on")
        delivered = dt.date.fromisoformat(delivered_on) if delivered_on else None
    except (KeyError, ValueError, TypeError) as exc:
        raise RegistryContractError(f"malformed outcome {outcome!r}: {exc}") from exc
    if kind is OutcomeKind.terminated:
        return 1
    if kind is OutcomeKind.delivered_on_time:
        return 0
    if delivered is None or contract_delivery_date is None:
        return 1
    return int(delivered > add_months(contract_delivery_date, 12))

"""Training records from real outcomes recorded in the registry, fetched over HTTP (the registry adapter).

Request (one call per page)::

    POST {registry_url}/v1/risk-facts/query
    Authorization: Bearer <service token>
    Content-Type: application/json

    {"all": true, "with_outcomes": true}            first page
    {"all": true, "with_outcomes": true, "cursor": "<next_cursor>"}   following pages, if any

Response ``200 application/json``::

    {
      "items": [
        {
          "project_id": "<uuid>",
          "facts": {
            "stall_days": 0,                      int >= 0
            "progress_lag_pct": 12.5,             number 0..100
            "disputes_30d": 0,                    int >= 0
            "disputes_90d": 1,                    int >= 0
            "group_incidents_90d": 0,             int >= 0
            "overdue_days": 0,                    int >= 0
            "contract_delivery_date": "2024-06-30",   "YYYY-MM-DD" or null (used for delivered_late)
            -- funding, either directly:
            "funding_gap_amount": "1250000.00",   decimal string or null (unknown)
            "funding_gap_ratio": 0.1,             number 0..1 or null (unknown)
            -- or as its parts (the gap is then computed here):
            "remaining_cost": "12500000.00",
            "own_funds_available": "3000000.00",
            "undrawn_credit": "8250000.00"
            -- any other field is ignored
          },
          "outcome": {"kind": "delivered_on_time" | "delivered_late" | "terminated",
                      "delivered_on": "YYYY-MM-DD" or null}
                     or null (no outcome yet: the item is skipped)
        }
      ],
      "next_cursor": null                         optional; a string asks for another page
    }

``facts`` must be the facts as they stood at an assessment *before* the outcome was known (a snapshot),
not the project's facts today: facts recorded after delivery would leak the answer into training.
When neither the funding features nor all three of their parts are present, funding is unknown (``None``) and
``train_from_outcomes`` leaves the record out.

Label: 1 when the project was not delivered within 12 months of its contract delivery date: ``terminated`` is
1, ``delivered_on_time`` is 0, and ``delivered_late`` is 1 unless both ``delivered_on`` and
``contract_delivery_date`` are given and show delivery within 12 months of the contract date.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

import httpx
import pydantic

from .features import FEATURE_NAMES, funding_gap, funding_gap_ratio, parse_features

QUERY_PATH = "/v1/risk-facts/query"
FUNDING_PARTS = ("remaining_cost", "own_funds_available", "undrawn_credit")


class OutcomeKind(StrEnum):
    """What finally happened to a project, as the registry records it."""

    delivered_on_time = "delivered_on_time"
    delivered_late = "delivered_late"
    terminated = "terminated"


class RegistryContractError(ValueError):
    """The registry answered with a shape this adapter does not understand."""


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


def _funding(facts: Mapping[str, Any]) -> tuple[Any, Any]:
    if "funding_gap_amount" in facts or "funding_gap_ratio" in facts:
        return facts.get("funding_gap_amount"), facts.get("funding_gap_ratio")
    if all(facts.get(part) is not None for part in FUNDING_PARTS):
        try:
            remaining, own, credit = (Decimal(str(facts[part])) for part in FUNDING_PARTS)
            gap = funding_gap(remaining, own, credit)
            return gap, funding_gap_ratio(gap, remaining)
        except (InvalidOperation, ValueError) as exc:
            raise RegistryContractError(f"malformed funding parts: {exc}") from exc
    return None, None


def record_from_item(item: Mapping[str, Any]) -> dict[str, Any] | None:
    """A training record (features + ``label`` + ``project_id``) from one response item; None without outcome.

    Raises ``RegistryContractError`` when the item's facts or outcome do not match the documented shape.
    """
    project_id = item.get("project_id")
    facts = item.get("facts")
    if not isinstance(facts, Mapping):
        raise RegistryContractError(f"item {project_id}: 'facts' must be an object")
    try:
        contract = facts.get("contract_delivery_date") or item.get("contract_delivery_date")
        contract_date = dt.date.fromisoformat(contract) if contract else None
    except (TypeError, ValueError) as exc:
        raise RegistryContractError(f"item {project_id}: malformed contract_delivery_date") from exc
    label = outcome_label(item.get("outcome"), contract_date)
    if label is None:
        return None
    amount, ratio = _funding(facts)
    raw = {name: facts.get(name) for name in FEATURE_NAMES}
    raw["funding_gap_amount"], raw["funding_gap_ratio"] = amount, ratio
    try:
        features = parse_features(raw)
    except pydantic.ValidationError as exc:
        raise RegistryContractError(f"item {project_id}: facts do not match the feature schema: {exc}") from exc
    return {**features, "label": label, "project_id": project_id}


def fetch_undrawn_credit(
    financing_url: str,
    token: str,
    project_ids: list[str],
    *,
    timeout: float = 30.0,
    transport: httpx.BaseTransport | None = None,
) -> dict[str, str]:
    """Undrawn credit per project from financing's ``POST /v1/funding-positions/query`` (one bulk call).

    Raises ``httpx.HTTPError`` when financing cannot be reached or answers with an error status.
    """
    with httpx.Client(base_url=financing_url.rstrip("/"), timeout=timeout, transport=transport) as client:
        response = client.post(
            "/v1/funding-positions/query",
            json={"project_ids": project_ids},
            headers={"Authorization": f"Bearer {token}"},
        )
        response.raise_for_status()
    return {item["project_id"]: item["undrawn_amount"] for item in response.json()["items"]}


def fetch_outcome_records(
    registry_url: str,
    token: str,
    *,
    financing_url: str | None = None,
    timeout: float = 30.0,
    transport: httpx.BaseTransport | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Fetch every project with its facts and outcome from the registry; return (labelled records, items seen).

    The registry knows remaining cost and own funds but not credit; with ``financing_url`` the undrawn credit
    of each project with an outcome is fetched from financing so its funding gap is known (a project with no
    credit line has none undrawn). Without it those records have unknown funding and are left out.
    Follows ``next_cursor`` pages. Raises ``httpx.HTTPError`` when a service cannot be reached or answers
    with an error status, and ``RegistryContractError`` when the response does not have the documented shape.
    """
    items = _fetch_items(registry_url, token, timeout=timeout, transport=transport)
    if financing_url:
        labelled = [i for i in items if i.get("outcome") and isinstance(i.get("facts"), Mapping)]
        undrawn = fetch_undrawn_credit(
            financing_url, token, [str(i["project_id"]) for i in labelled], timeout=timeout, transport=transport
        )
        for item in labelled:
            item["facts"] = {**item["facts"], "undrawn_credit": undrawn.get(str(item["project_id"]), "0.00")}
    records = [record for record in map(record_from_item, items) if record is not None]
    return records, len(items)


def _fetch_items(
    registry_url: str, token: str, *, timeout: float, transport: httpx.BaseTransport | None
) -> list[dict[str, Any]]:
    collected: list[dict[str, Any]] = []
    body: dict[str, Any] = {"all": True, "with_outcomes": True}
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    with httpx.Client(base_url=registry_url.rstrip("/"), timeout=timeout, transport=transport) as client:
        while True:
            response = client.post(QUERY_PATH, json=body, headers=headers)
            response.raise_for_status()
            try:
                page = response.json()
                items = page["items"]
            except (ValueError, KeyError, TypeError) as exc:
                raise RegistryContractError(f"{QUERY_PATH} must answer {{'items': [...]}}") from exc
            if not isinstance(items, list):
                raise RegistryContractError(f"{QUERY_PATH}: 'items' must be a list")
            collected.extend(items)
            cursor = page.get("next_cursor")
            if not cursor:
                return collected
            body = {"all": True, "with_outcomes": True, "cursor": cursor}

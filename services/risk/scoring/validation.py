"""Validating a batch of up to 10,000 items fast, while every bad item still gets its own precise error.

The fast path is one pydantic-core call over the raw body with a strict schema that accepts only a subset of
what ``ScoreRequest`` accepts (exact JSON types, money matching ``[0-9]{1,16}(.[0-9]{1,2})?``), so anything it
lets through ``ScoreRequest`` would accept with the same values. When it refuses anything, the body is read
again and each item is validated with ``ScoreRequest`` itself: the items it accepts are scored, the others get
the error ``ScoreRequest`` gives, exactly as ``POST /v1/score`` would answer them.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails
from typing_extensions import TypedDict

from services.common.money import CENT
from services.common.problems import TYPE_PREFIX, ProblemError, ProblemFieldError
from services.risk.model import FeatureValues
from services.risk.scoring.schemas import MAX_BATCH_ITEMS, ScoreRequest

_Count = Annotated[int, Field(strict=True, ge=0, le=100_000)]
_Share = Annotated[float, Field(strict=True, ge=0, le=1, allow_inf_nan=False)]
_Money = Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9]{1,16}(\.[0-9]{1,2})?$")]


class _StrictFeatures(TypedDict):
    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    stall_days: _Count
    progress_lag_pct: Annotated[float, Field(strict=True, ge=0, le=100, allow_inf_nan=False)]
    funding_gap_amount: _Money | None
    funding_gap_ratio: _Share | None
    disputes_30d: _Count
    disputes_90d: _Count
    group_incidents_90d: _Count
    overdue_days: _Count


class _StrictItem(TypedDict):
    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    features: _StrictFeatures


class _StrictBatch(TypedDict):
    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    items: Annotated[list[_StrictItem], Field(max_length=MAX_BATCH_ITEMS)]


class _Envelope(TypedDict):
    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    items: Annotated[list[Any], Field(max_length=MAX_BATCH_ITEMS)]


_STRICT_BATCH = TypeAdapter(_StrictBatch)
_ENVELOPE = TypeAdapter(_Envelope)


def pointer(loc: Sequence[int | str], prefix: str = "#") -> str:
    """A JSON Pointer (RFC 6901) to ``loc`` below ``prefix``."""
    return "/".join([prefix, *(str(p).replace("~", "~0").replace("/", "~1") for p in loc)])


def item_problem(errors: Sequence[ErrorDetails]) -> dict[str, Any]:
    """The problem object that stands in for a refused item; pointers are relative to the item."""
    return {
        "type": TYPE_PREFIX + "validation-error",
        "title": "Request failed validation",
        "status": 422,
        "detail": f"{len(errors)} field(s) failed validation.",
        "errors": [{"pointer": pointer(e["loc"]), "detail": e["msg"]} for e in errors],
    }


def parse_batch(body: bytes) -> tuple[list[FeatureValues | None], dict[int, dict[str, Any]]]:
    """The feature values of every item (None where refused) and, by item index, the problems of refused items.

    Raises ProblemError(400) for a body that is not JSON and ProblemError(422) for one that is not an object
    with ``items``, a list of at most 10,000 entries.
    """
    try:
        batch = _STRICT_BATCH.validate_json(body)
    except ValidationError:
        return _parse_each(body)
    values: list[FeatureValues | None] = []
    append = values.append
    for item in batch["items"]:
        features: Any = item["features"]
        amount = features["funding_gap_amount"]
        if amount is not None:
            features["funding_gap_amount"] = Decimal(amount) if amount[-3:-2] == "." else Decimal(amount).quantize(CENT)
        append(features)
    return values, {}


def _parse_each(body: bytes) -> tuple[list[FeatureValues | None], dict[int, dict[str, Any]]]:
    try:
        envelope = _ENVELOPE.validate_json(body)
    except ValidationError as exc:
        errors = exc.errors()
        if any(e["type"] == "json_invalid" for e in errors):
            raise ProblemError(
                400, "The request body is not valid JSON.", slug="malformed-json", title="Malformed request body"
            ) from exc
        raise ProblemError(
            422,
            f"{len(errors)} field(s) failed validation.",
            slug="validation-error",
            title="Request failed validation",
            errors=[ProblemFieldError(pointer=pointer(e["loc"], "#/body"), detail=e["msg"]) for e in errors],
        ) from exc
    values: list[FeatureValues | None] = []
    problems: dict[int, dict[str, Any]] = {}
    for index, raw in enumerate(envelope["items"]):
        try:
            values.append(ScoreRequest.model_validate(raw).features.values())
        except ValidationError as exc:
            values.append(None)
            problems[index] = item_problem(exc.errors())
    return values, problems

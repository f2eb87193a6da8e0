"""The feature schema of the risk model: names, units, types, ranges and bilingual descriptions.

Every consumer (the scorecard, the synthetic generator, the HTTP service, the model card) reads the schema from
here, so a feature is described once.

Types on the serving path:

- counts and days are ``int``;
- ``progress_lag_pct`` and ``funding_gap_ratio`` are ``float`` (or ``Decimal``; they are dimensionless);
- ``funding_gap_amount`` is money in yuan and is a ``Decimal`` (never a float), compared exactly against
  Decimal bin edges.

Unknown funding: when the financing service cannot be reached, ``funding_gap_amount`` and
``funding_gap_ratio`` are ``None``. The scorecard then gives each unknown feature its *neutral* points (the
average points of the training population, stored in the artifact), sets ``funding_unknown`` in the
explanation and never cites a funding reason code, so the score neither assumes that the project is funded
nor that it is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Annotated, Any, TypedDict

from pydantic import BaseModel, ConfigDict, Field

from services.common.money import Money

CENT = Decimal("0.01")


class Feature(StrEnum):
    """The model's input features, in the fixed order used by the artifact and the explanations: `stall_days`
    停工天数, `progress_lag_pct` 进度滞后百分点, `funding_gap_amount` 资金缺口 (元), `funding_gap_ratio`
    资金缺口比例, `disputes_30d` 30日内纠纷数, `disputes_90d` 90日内纠纷数, `group_incidents_90d`
    90日内群体事件数, `overdue_days` 逾期交付天数."""

    stall_days = "stall_days"
    progress_lag_pct = "progress_lag_pct"
    funding_gap_amount = "funding_gap_amount"
    funding_gap_ratio = "funding_gap_ratio"
    disputes_30d = "disputes_30d"
    disputes_90d = "disputes_90d"
    group_incidents_90d = "group_incidents_90d"
    overdue_days = "overdue_days"


class FeatureKind(StrEnum):
    """How a feature's values are represented and compared."""

    integer = "integer"  # int >= 0 (days or events)
    percent = "percent"  # float percentage points in [0, 100]
    money = "money"  # Decimal yuan >= 0 with two places; never a float
    ratio = "ratio"  # float in [0, 1]


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """One feature: its unit, type, allowed range and what it means."""

    name: Feature
    kind: FeatureKind
    unit: str
    unit_zh: str
    description_en: str
    description_zh: str
    minimum: Decimal
    maximum: Decimal | None
    nullable: bool  # True only for the funding features, which are None when financing is unreachable

    def as_dict(self) -> dict[str, Any]:
        """The spec as JSON-ready data, as published in the model card and ``GET /v1/model``."""
        return {
            "name": self.name.value,
            "type": {
                FeatureKind.integer: "integer",
                FeatureKind.percent: "number",
                FeatureKind.money: "decimal string",
                FeatureKind.ratio: "number",
            }[self.kind],
            "kind": self.kind.value,
            "unit": self.unit,
            "unit_zh": self.unit_zh,
            "minimum": str(self.minimum),
            "maximum": None if self.maximum is None else str(self.maximum),
            "nullable": self.nullable,
            "description_en": self.description_en,
            "description_zh": self.description_zh,
        }


FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec(
        Feature.stall_days,
        FeatureKind.integer,
        "days",
        "天",
        "Days since the current construction stall started (0 when work is going on).",
        "当前停工持续天数（在建施工时为 0）。",
        Decimal(0),
        None,
        False,
    ),
    FeatureSpec(
        Feature.progress_lag_pct,
        FeatureKind.percent,
        "percentage points",
        "百分点",
        "How far actual progress is behind the plan, in percentage points of the whole project (0 when on plan).",
        "实际形象进度落后于计划进度的百分点（按计划或提前时为 0）。",
        Decimal(0),
        Decimal(100),
        False,
    ),
    FeatureSpec(
        Feature.funding_gap_amount,
        FeatureKind.money,
        "yuan",
        "元",
        "Funding gap: remaining construction cost minus own funds available minus undrawn credit, floored at 0. "
        "Unknown (null) when the financing service is unreachable.",
        "资金缺口：剩余建设成本减去可用自有资金和未提款授信，最低为 0。融资服务不可用时为未知（null）。",
        Decimal(0),
        None,
        True,
    ),
    FeatureSpec(
        Feature.funding_gap_ratio,
        FeatureKind.ratio,
        "ratio (0-1)",
        "比例（0-1）",
        "Funding gap divided by remaining construction cost (0 when nothing remains to be paid). "
        "Unknown (null) when the financing service is unreachable.",
        "资金缺口占剩余建设成本的比例（无剩余成本时为 0）。融资服务不可用时为未知（null）。",
        Decimal(0),
        Decimal(1),
        True,
    ),
    FeatureSpec(
        Feature.disputes_30d,
        FeatureKind.integer,
        "disputes",
        "件",
        "Disputes (petitions, complaints, group incidents) opened in the last 30 days.",
        "近 30 天新发生的矛盾纠纷（信访、投诉、群体事件）件数。",
        Decimal(0),
        None,
        False,
    ),
    FeatureSpec(
        Feature.disputes_90d,
        FeatureKind.integer,
        "disputes",
        "件",
        "Disputes (petitions, complaints, group incidents) opened in the last 90 days.",
        "近 90 天新发生的矛盾纠纷（信访、投诉、群体事件）件数。",
        Decimal(0),
        None,
        False,
    ),
    FeatureSpec(
        Feature.group_incidents_90d,
        FeatureKind.integer,
        "incidents",
        "起",
        "Group incidents (群体事件) opened in the last 90 days.",
        "近 90 天发生的群体事件起数。",
        Decimal(0),
        None,
        False,
    ),
    FeatureSpec(
        Feature.overdue_days,
        FeatureKind.integer,
        "days",
        "天",
        "Days past the contract delivery date without delivery (0 before that date).",
        "超过合同约定交付日期仍未交付的天数（未到期时为 0）。",
        Decimal(0),
        None,
        False,
    ),
)

FEATURE_NAMES: tuple[str, ...] = tuple(spec.name.value for spec in FEATURES)
SPECS: dict[str, FeatureSpec] = {spec.name.value: spec for spec in FEATURES}
FUNDING_FEATURES: frozenset[str] = frozenset(spec.name.value for spec in FEATURES if spec.nullable)


class FeatureValues(TypedDict):
    """Validated feature values as the scorecard reads them (funding features may be None: unknown)."""

    stall_days: int
    progress_lag_pct: float | Decimal
    funding_gap_amount: Decimal | None
    funding_gap_ratio: float | Decimal | None
    disputes_30d: int
    disputes_90d: int
    group_incidents_90d: int
    overdue_days: int


Days = Annotated[int, Field(ge=0, le=100_000)]
Count = Annotated[int, Field(ge=0, le=100_000)]


class FeatureInput(BaseModel):
    """Validating model for untrusted feature values (unknown fields, negatives and out-of-range refused).

    Money follows the project's rule (``services.common.money.Money``): a decimal string with at most two
    places, never a JSON number, kept as ``Decimal``. Hand ``values()`` to the scorecard, not ``model_dump()``,
    which serializes money back to a string.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    stall_days: Days = Field(description=SPECS["stall_days"].description_en)
    progress_lag_pct: float = Field(
        ge=0, le=100, allow_inf_nan=False, description=SPECS["progress_lag_pct"].description_en
    )
    funding_gap_amount: Money | None = Field(description=SPECS["funding_gap_amount"].description_en)
    funding_gap_ratio: float | None = Field(
        ge=0, le=1, allow_inf_nan=False, description=SPECS["funding_gap_ratio"].description_en
    )
    disputes_30d: Count = Field(description=SPECS["disputes_30d"].description_en)
    disputes_90d: Count = Field(description=SPECS["disputes_90d"].description_en)
    group_incidents_90d: Count = Field(description=SPECS["group_incidents_90d"].description_en)
    overdue_days: Days = Field(description=SPECS["overdue_days"].description_en)

    def values(self) -> FeatureValues:
        """The validated values as the scorecard reads them (money stays ``Decimal``)."""
        return FeatureValues(
            stall_days=self.stall_days,
            progress_lag_pct=self.progress_lag_pct,
            funding_gap_amount=self.funding_gap_amount,
            funding_gap_ratio=self.funding_gap_ratio,
            disputes_30d=self.disputes_30d,
            disputes_90d=self.disputes_90d,
            group_incidents_90d=self.group_incidents_90d,
            overdue_days=self.overdue_days,
        )


def parse_features(raw: dict[str, Any]) -> FeatureValues:
    """Validate untrusted feature values and return them as ``FeatureValues``.

    Raises ``pydantic.ValidationError`` for a missing or unknown field, a negative count, a ratio outside
    0..1, a lag outside 0..100, or money that is negative, a JSON number or has more than two places.
    """
    return FeatureInput.model_validate(raw).values()


def funding_gap(remaining_cost: Decimal, own_funds: Decimal, undrawn_credit: Decimal) -> Decimal:
    """The funding gap in yuan: remaining cost minus own funds minus undrawn credit, floored at 0, to the cent.

    Raises ``ValueError`` when an input is negative.
    """
    if min(remaining_cost, own_funds, undrawn_credit) < 0:
        raise ValueError("remaining cost, own funds and undrawn credit must not be negative")
    return max(Decimal(0), remaining_cost - own_funds - undrawn_credit).quantize(CENT, ROUND_HALF_UP)


def funding_gap_ratio(gap: Decimal, remaining_cost: Decimal) -> Decimal:
    """The gap as a share of the remaining cost, in 0..1 with four places (0 when nothing remains to pay).

    Raises ``ValueError`` when an input is negative.
    """
    if gap < 0 or remaining_cost < 0:
        raise ValueError("gap and remaining cost must not be negative")
    if remaining_cost == 0:
        return Decimal("0.0000")
    return min(Decimal(1), gap / remaining_cost).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def schema() -> list[dict[str, Any]]:
    """The feature schema as JSON-ready data (model card, ``GET /v1/model``)."""
    return [spec.as_dict() for spec in FEATURES]

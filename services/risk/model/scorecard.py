"""The points scorecard: fitting (monotone bins + non-negative logistic regression) and fast serving.

Model. Each feature is cut into monotone bins (see ``binning``). The design matrix holds one *cumulative step
indicator* per bin edge, ``[x >= edge]``, so a coefficient is the rise in log-odds from one bin to the next.
scikit-learn's ``LogisticRegression`` is fitted on those steps; while a step is worth less than half a point
(negative coefficients included) the smallest such step is dropped, which merges its two bins, and the model
is refitted. Every remaining step therefore adds risk, so a feature's points never fall as the feature rises:
monotone by construction, whatever the data. Log-odds are turned into integer points on a PDO scale.

Points scale (``ScoreScale``): 600 points are odds of 1 failure to 19 deliveries (probability 5%) and every 40
points double the odds. The lowest bin of each feature is worth 0 points, the ``intercept`` entry carries the
base, and the score is the exact integer sum of the intercept and the feature points. The probability is a
function of the score alone, ``1 / (1 + 19 * 2 ** (-(score - 600) / 40))`` rounded to four places, so it rises
with the score.

Serving (``RiskModel``). One prediction is eight binary searches in short tables of edges, a sum of integers
and a table lookup of the probability; money is compared as ``Decimal`` against ``Decimal`` edges.

Unknown funding. A funding feature that is ``None`` gets the feature's neutral points (the average points of
the training rows, rounded), the explanation says ``funding_unknown`` and no funding reason code is given.
"""

from __future__ import annotations

import hashlib
import json
import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from itertools import pairwise
from typing import Any, TypedDict

import numpy as np
import numpy.typing as npt
import sklearn
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from .binning import edge_key, monotone_edges
from .features import FEATURE_NAMES, FEATURES, SPECS, FeatureKind

MODEL_NAME = "handover-risk-scorecard"
ARTIFACT_FORMAT = 1
PROBABILITY_PLACES = 4
MAX_REASON_CODES = 4
# Distinct reason-point patterns remembered per model; few hundred occur in practice, the cap bounds memory.
REASON_CACHE_SIZE = 16_384


class InvalidScorecard(ValueError):
    """A scorecard specification is malformed or not monotone."""


class ReasonCodeId(StrEnum):
    """Stable reason codes, in the order used to break ties between equally weighted reasons."""

    R_STALL_LONG = "R_STALL_LONG"
    R_OVERDUE = "R_OVERDUE"
    R_FUNDING_GAP = "R_FUNDING_GAP"
    R_GROUP_INCIDENT = "R_GROUP_INCIDENT"
    R_DISPUTES_RECENT = "R_DISPUTES_RECENT"
    R_PROGRESS_LAG = "R_PROGRESS_LAG"


@dataclass(frozen=True, slots=True)
class ReasonCode:
    """A reason for the risk, with its text in Chinese and English."""

    code: str
    zh: str
    en: str


REASONS: tuple[ReasonCode, ...] = (
    ReasonCode(ReasonCodeId.R_STALL_LONG, "项目停工时间较长", "The site has been stalled for a long time"),
    ReasonCode(ReasonCodeId.R_OVERDUE, "已超过合同约定交付日期", "The contract delivery date has passed"),
    ReasonCode(ReasonCodeId.R_FUNDING_GAP, "项目存在资金缺口", "The project has a funding gap"),
    ReasonCode(ReasonCodeId.R_GROUP_INCIDENT, "近 90 天发生群体事件", "Group incidents in the last 90 days"),
    ReasonCode(ReasonCodeId.R_DISPUTES_RECENT, "近期矛盾纠纷较多", "Many disputes in recent weeks"),
    ReasonCode(ReasonCodeId.R_PROGRESS_LAG, "工程进度明显落后于计划", "Construction is behind plan"),
)
REASON_BY_FEATURE: dict[str, ReasonCodeId] = {
    "stall_days": ReasonCodeId.R_STALL_LONG,
    "progress_lag_pct": ReasonCodeId.R_PROGRESS_LAG,
    "funding_gap_amount": ReasonCodeId.R_FUNDING_GAP,
    "funding_gap_ratio": ReasonCodeId.R_FUNDING_GAP,
    "disputes_30d": ReasonCodeId.R_DISPUTES_RECENT,
    "disputes_90d": ReasonCodeId.R_DISPUTES_RECENT,
    "group_incidents_90d": ReasonCodeId.R_GROUP_INCIDENT,
    "overdue_days": ReasonCodeId.R_OVERDUE,
}
_REASON_INDEX = {reason.code: i for i, reason in enumerate(REASONS)}


class Contribution(TypedDict):
    """One entry of an explanation: the feature (or ``"intercept"``), the value scored and its points."""

    feature: str
    value: int | float | Decimal | None
    points: int


@dataclass(slots=True)
class Explanation:
    """A scored project: probability, score, the points that add up to it and the main reasons.

    ``sum(c["points"] for c in contributions) == score`` always holds. Money values in ``contributions`` are
    ``Decimal`` (serialize them as decimal strings). ``reason_codes`` is a tuple of shared immutable entries.
    """

    probability: float
    score: int
    contributions: list[Contribution]
    reason_codes: tuple[ReasonCode, ...]
    funding_unknown: bool
    model_version: str


@dataclass(frozen=True)
class ScoreScale:
    """The points scale: ``base_score`` points are odds of 1 failure to ``base_odds_against`` deliveries,
    and every ``pdo`` points double the odds of failure."""

    base_score: int = 600
    base_odds_against: int = 19
    pdo: int = 40

    @property
    def factor(self) -> float:
        """Points per unit of log-odds."""
        return self.pdo / math.log(2)

    def points_for_logit(self, logit: float) -> float:
        """The (unrounded) score of a log-odds of failure."""
        return self.base_score + self.factor * (logit + math.log(self.base_odds_against))

    def probability(self, score: int) -> float:
        """The probability of failure of an integer score, rounded to four places."""
        odds_against = self.base_odds_against * 2.0 ** (-(score - self.base_score) / self.pdo)
        return round(1.0 / (1.0 + odds_against), PROBABILITY_PLACES)

    def as_dict(self) -> dict[str, int]:
        """The scale as JSON-ready data."""
        return {"base_score": self.base_score, "base_odds_against": self.base_odds_against, "pdo": self.pdo}


@dataclass(frozen=True)
class FitSettings:
    """Knobs of the scorecard fit."""

    min_bin_share: float = 0.03  # every bin holds at least 3% of the training rows
    c: float = 1.0  # inverse L2 strength of the logistic regression; weak for 0/1 steps on thousands of rows
    min_step_points: float = 0.5  # a bin edge must add at least half a point, else the two bins merge


def feature_keys(records: Sequence[Mapping[str, Any]]) -> dict[str, npt.NDArray[Any]]:
    """Columns of comparison keys (ints, integer fen for money, floats) from validated feature records.

    Raises ``ValueError`` when a value is missing, ``None`` or money has more than two decimal places.
    """
    columns: dict[str, npt.NDArray[Any]] = {}
    for spec in FEATURES:
        name = spec.name.value
        raw = [record[name] for record in records]
        if any(v is None for v in raw):
            raise ValueError(f"{name} is unknown in some training records; drop them before fitting")
        if spec.kind is FeatureKind.money:
            fen = [Decimal(v).scaleb(2) for v in raw]
            if any(f != f.to_integral_value() for f in fen):
                raise ValueError(f"{name} must have at most two decimal places")
            columns[name] = np.array([int(f) for f in fen], dtype=np.int64)
        elif spec.kind is FeatureKind.integer:
            columns[name] = np.array([int(v) for v in raw], dtype=np.int64)
        else:
            columns[name] = np.array([float(v) for v in raw], dtype=np.float64)
    return columns


def _fit_steps(
    design: npt.NDArray[np.float64], labels: npt.NDArray[np.int64], c: float
) -> tuple[float, npt.NDArray[np.float64]]:
    model = LogisticRegression(C=c, solver="lbfgs", max_iter=5000, tol=1e-10)
    # One BLAS thread: the sums then do not depend on the machine's core count (and threads only contend here).
    with threadpool_limits(limits=1):
        model.fit(design, labels)
    return float(model.intercept_[0]), np.asarray(model.coef_[0], dtype=np.float64)


def fit_scorecard(
    records: Sequence[Mapping[str, Any]],
    labels: Sequence[int],
    provenance: Mapping[str, Any],
    scale: ScoreScale | None = None,
    settings: FitSettings | None = None,
) -> dict[str, Any]:
    """Fit a monotone points scorecard and return its specification (the artifact's content).

    ``records`` are validated feature dicts with known funding; ``labels`` are 1 for "not delivered within 12
    months of the contract date". ``provenance`` describes the training data and is stored as given.
    Deterministic: the same inputs give the same specification. Raises ``ValueError`` for mismatched lengths,
    unknown funding values or a single class.
    """
    scale = scale or ScoreScale()
    settings = settings or FitSettings()
    y = np.asarray(labels, dtype=np.int64)
    if len(records) != y.shape[0]:
        raise ValueError("records and labels must have the same length")
    if np.unique(y).size != 2:
        raise ValueError("training needs both outcomes (0 and 1)")
    keys = feature_keys(records)
    min_bin_size = max(1, math.ceil(settings.min_bin_share * len(records)))
    edges = {spec.name.value: monotone_edges(keys[spec.name.value], y, spec.kind, min_bin_size) for spec in FEATURES}

    dropped = 0
    while True:
        steps = [(name, edge) for name in FEATURE_NAMES for edge in edges[name]]
        if not steps:
            # Nothing separates the outcomes: the intercept alone is the base rate's log-odds.
            intercept, coefs = math.log(y.mean() / (1.0 - y.mean())), np.empty(0)
            break
        design = np.column_stack([keys[name] >= edge_key(edge, SPECS[name].kind) for name, edge in steps]).astype(
            np.float64
        )
        intercept, coefs = _fit_steps(design, y, settings.c)
        weakest = int(np.argmin(coefs))
        if coefs[weakest] * scale.factor >= settings.min_step_points:
            break
        name, edge = steps[weakest]
        edges[name].remove(edge)
        dropped += 1

    features: list[dict[str, Any]] = []
    position = 0
    for spec in FEATURES:
        name = spec.name.value
        n_edges = len(edges[name])
        cumulative = np.concatenate([[0.0], np.cumsum(coefs[position : position + n_edges])])
        position += n_edges
        points = [round(scale.factor * float(v)) for v in cumulative]
        bins = np.searchsorted(np.asarray([edge_key(e, spec.kind) for e in edges[name]]), keys[name], side="right")
        unknown = round(float(np.mean(np.asarray(points)[bins]))) if spec.nullable else None
        features.append(
            {"name": name, "edges": [str(e) for e in edges[name]], "points": points, "unknown_points": unknown}
        )

    spec_core: dict[str, Any] = {
        "scale": scale.as_dict(),
        "intercept_points": round(scale.points_for_logit(intercept)),
        "features": features,
    }
    fingerprint = hashlib.sha256(json.dumps(spec_core, sort_keys=True).encode()).hexdigest()[:12]
    return {
        "format": ARTIFACT_FORMAT,
        "name": MODEL_NAME,
        "version": f"sc{ARTIFACT_FORMAT}-{provenance.get('tag', 'model')}-{fingerprint}",
        **spec_core,
        "logistic_regression": {
            "intercept": intercept,
            "coefficients": [
                {"feature": name, "edge": str(edge), "coef": float(coef)}
                for (name, edge), coef in zip(steps, coefs, strict=True)
            ],
            "C": settings.c,
            "steps_dropped": dropped,
            "min_step_points": settings.min_step_points,
            "min_bin_share": settings.min_bin_share,
            "sklearn_version": sklearn.__version__,
        },
        "training": dict(provenance),
    }


_Table = tuple[str, list[Any], tuple[int, ...], int | None, int, bool]


class RiskModel:
    """A loaded scorecard: explains projects (probability, score, contributions, reason codes) fast.

    Build it with ``load_model`` (verified artifact) or from a specification returned by ``fit_scorecard``.
    """

    def __init__(self, spec: Mapping[str, Any], card: Mapping[str, Any] | None = None) -> None:
        """Check a scorecard specification and compile its lookup tables.

        Raises ``InvalidScorecard`` when the format, the features, the edges (not ascending) or the points
        (not starting at 0 or falling anywhere) are wrong.
        """
        if spec.get("format") != ARTIFACT_FORMAT:
            raise InvalidScorecard(f"unsupported scorecard format {spec.get('format')!r}")
        features = spec["features"]
        if [f["name"] for f in features] != list(FEATURE_NAMES):
            raise InvalidScorecard("scorecard features do not match the feature schema")
        self.spec: Mapping[str, Any] = spec
        self.card: Mapping[str, Any] = card or {}
        self.name: str = spec["name"]
        self.version: str = spec["version"]
        self.scale = ScoreScale(**spec["scale"])
        self.intercept_points: int = int(spec["intercept_points"])
        tables: list[_Table] = []
        low = high = self.intercept_points
        for feature in features:
            tables.append(self._compile(feature))
            points = feature["points"]
            low += points[0]
            high += points[-1]
        self._tables = tuple(tables)
        self.min_score = low
        self.max_score = high
        self._probability_by_score = [self.scale.probability(s) for s in range(low, high + 1)]
        self._reason_cache: dict[tuple[int, ...], tuple[ReasonCode, ...]] = {}

    @staticmethod
    def _compile(feature: Mapping[str, Any]) -> _Table:
        name = feature["name"]
        kind = SPECS[name].kind
        try:
            edges_dec = [Decimal(e) for e in feature["edges"]]
        except InvalidOperation as exc:
            raise InvalidScorecard(f"{name}: edges must be decimal strings") from exc
        points = tuple(int(p) for p in feature["points"])
        if any(b <= a for a, b in pairwise(edges_dec)):
            raise InvalidScorecard(f"{name}: edges must be strictly ascending")
        if len(points) != len(edges_dec) + 1 or points[0] != 0:
            raise InvalidScorecard(f"{name}: needs one points entry per bin, the lowest bin worth 0")
        if any(b < a for a, b in pairwise(points)):
            raise InvalidScorecard(f"{name}: points must not fall as the feature rises")
        unknown = feature["unknown_points"]
        if SPECS[name].nullable != (unknown is not None):
            raise InvalidScorecard(f"{name}: unknown_points is required exactly for nullable features")
        if unknown is not None and not points[0] <= unknown <= points[-1]:
            raise InvalidScorecard(f"{name}: unknown_points must lie within the feature's points")
        # Money stays Decimal; counts compare as ints; percentages and ratios as floats of the decimal edges.
        edges: list[Any] = [edge_key(e, kind) for e in edges_dec] if kind is not FeatureKind.money else edges_dec
        as_float = kind in (FeatureKind.percent, FeatureKind.ratio)
        return name, edges, points, unknown, _REASON_INDEX[REASON_BY_FEATURE[name]], as_float

    def bins(self) -> list[dict[str, Any]]:
        """The scorecard as a table per feature: each bin's lower bound (inclusive) and its points."""
        return [
            {
                "feature": feature["name"],
                "bins": [
                    {"from": lower, "points": points}
                    for lower, points in zip(
                        [str(SPECS[feature["name"]].minimum), *feature["edges"]], feature["points"], strict=True
                    )
                ],
                "unknown_points": feature["unknown_points"],
            }
            for feature in self.spec["features"]
        ]

    def explain(self, values: Mapping[str, Any]) -> Explanation:
        """Score one project and explain the score.

        ``values`` holds every feature (validated, see ``features.parse_features``); funding features may be
        ``None`` (unknown). Raises ``KeyError`` for a missing feature and ``ValueError`` for a value that cannot
        be compared (e.g. ``None`` for a feature that is never unknown).
        """
        return self.explain_many((values,))[0]

    def explain_many(self, items: Sequence[Mapping[str, Any]]) -> list[Explanation]:
        """Score and explain many projects, in order; same rules and errors as ``explain``."""
        tables = self._tables
        intercept = self.intercept_points
        probability_by_score = self._probability_by_score
        low = self.min_score
        version = self.version
        reason_cache = self._reason_cache
        n_reasons = len(REASONS)
        out: list[Explanation] = []
        append = out.append
        for values in items:
            total = intercept
            contributions: list[Contribution] = [{"feature": "intercept", "value": None, "points": intercept}]
            by_reason = [0] * n_reasons
            unknown = False
            for name, edges, points, unknown_points, reason, as_float in tables:
                value = values[name]
                if value is None and unknown_points is not None:
                    points_here = unknown_points
                    unknown = True
                else:
                    try:
                        points_here = points[bisect_right(edges, float(value) if as_float else value)]
                    except TypeError as exc:
                        raise ValueError(f"{name}: cannot score value {value!r}") from exc
                    if points_here:
                        by_reason[reason] += points_here
                total += points_here
                contributions.append({"feature": name, "value": value, "points": points_here})
            key = tuple(by_reason)
            reasons = reason_cache.get(key)
            if reasons is None:
                reasons = rank_reasons(by_reason)
                if len(reason_cache) < REASON_CACHE_SIZE:
                    reason_cache[key] = reasons
            append(Explanation(probability_by_score[total - low], total, contributions, reasons, unknown, version))
        return out


def rank_reasons(by_reason: Sequence[int]) -> tuple[ReasonCode, ...]:
    """The reasons to cite for the points each reason (in ``REASONS`` order) gathered: those with points,
    most points first, equal points in catalogue order, at most ``MAX_REASON_CODES``."""
    cited = [i for i, points in enumerate(by_reason) if points > 0]
    # Stable sort: equal points keep the catalogue order of REASONS.
    cited.sort(key=by_reason.__getitem__, reverse=True)
    return tuple(REASONS[i] for i in cited[:MAX_REASON_CODES])


@dataclass(frozen=True)
class TrainedModel:
    """A fitted scorecard with its evaluation on held-out projects (made by ``train``, described by ``card``)."""

    spec: dict[str, Any]
    model: RiskModel
    provenance: dict[str, Any]
    metrics: dict[str, Any]

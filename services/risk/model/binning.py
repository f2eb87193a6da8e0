"""Monotone binning of one feature, chosen on training data (fit time only; serving reads the stored edges).

A feature's bins are ``[edge_j, edge_{j+1})``: a value falls in bin ``j`` when it is at least ``edge_j`` (bin 0
holds everything below the first edge). Candidate edges are quantiles of the feature's positive values, rounded
down to two significant digits so that the model card reads ``stall_days >= 120`` rather than ``>= 127``.
Bins that are too small are merged into a neighbour, then adjacent bins are pooled until the event rate is
strictly increasing from bin to bin (pool-adjacent-violators), so every remaining edge marks a rise in risk.

Values are compared in *keys*: integers for counts, integer fen (0.01 yuan) for money, floats for percentages
and ratios, so money never becomes a float.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from .features import CENT, FeatureKind

# Quantiles of the positive values used as candidate edges; the smallest positive value is always a candidate.
CANDIDATE_QUANTILES = np.linspace(0.0, 0.9, 10)
# Grid of the smallest step an edge may take, per kind (a ratio edge of 0.0003 would mean nothing to a reader).
MIN_STEP: dict[FeatureKind, Decimal] = {
    FeatureKind.integer: Decimal(1),
    FeatureKind.percent: Decimal("0.1"),
    FeatureKind.ratio: Decimal("0.01"),
    FeatureKind.money: Decimal("10000"),
}


def edge_key(edge: Decimal, kind: FeatureKind) -> int | float:
    """The comparison key of an edge given in the feature's unit (yuan for money)."""
    if kind is FeatureKind.money:
        return int(edge.scaleb(2))
    if kind is FeatureKind.integer:
        return int(edge)
    return float(edge)


def nice_floor(value: Decimal, kind: FeatureKind) -> Decimal:
    """``value`` rounded down to two significant digits, and to at least the kind's minimum step."""
    step = MIN_STEP[kind]
    if value <= 0:
        return Decimal(0)
    two_digits = Decimal(1).scaleb(value.adjusted() - 1)
    grid = max(step, two_digits)
    floored = (value / grid).to_integral_value(rounding=ROUND_FLOOR) * grid
    # Plain notation ("140", not "1.4E+2"); money keeps its two places.
    if kind is FeatureKind.money:
        return floored.quantize(CENT)
    return Decimal(format(floored.normalize(), "f"))


def _key_to_unit(key: float | int, kind: FeatureKind) -> Decimal:
    if kind is FeatureKind.money:
        return Decimal(int(key)).scaleb(-2)
    if kind is FeatureKind.integer:
        return Decimal(int(key))
    return Decimal(repr(float(key)))


def candidate_edges(keys: npt.NDArray[Any], kind: FeatureKind) -> list[Decimal]:
    """Candidate edges (in the feature's unit) from the quantiles of the positive values, ascending, unique."""
    positive = keys[keys > 0]
    if positive.size == 0:
        return []
    if kind in (FeatureKind.integer, FeatureKind.money):
        # Integer quantiles keep money exact: "lower" picks an observed value instead of interpolating.
        raw = np.quantile(positive, CANDIDATE_QUANTILES, method="lower")
    else:
        raw = np.quantile(positive.astype(np.float64), CANDIDATE_QUANTILES)
    edges = {nice_floor(_key_to_unit(v.item(), kind), kind) for v in raw}
    return sorted(e for e in edges if e > 0)


def _bin_stats(
    keys: npt.NDArray[Any], labels: npt.NDArray[np.int64], edge_keys: list[int | float]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    index = np.searchsorted(np.asarray(edge_keys), keys, side="right")
    counts = np.bincount(index, minlength=len(edge_keys) + 1).astype(np.int64)
    events = np.bincount(index, weights=labels, minlength=len(edge_keys) + 1).astype(np.int64)
    return counts, events


def monotone_edges(
    keys: npt.NDArray[Any],
    labels: npt.NDArray[np.int64],
    kind: FeatureKind,
    min_bin_size: int,
) -> list[Decimal]:
    """Edges (in the feature's unit) whose bins each hold ``min_bin_size`` rows and have rising event rates.

    Raises ``ValueError`` when ``keys`` and ``labels`` differ in length.
    """
    if keys.shape != labels.shape:
        raise ValueError("keys and labels must have the same length")
    edges = candidate_edges(keys, kind)
    while edges:
        counts, events = _bin_stats(keys, labels, [edge_key(e, kind) for e in edges])
        small = [j for j, c in enumerate(counts) if c < min_bin_size]
        if small:
            j = small[0]
            # Merge a small bin into its smaller neighbour (dropping the edge between them) so bins stay even.
            merge_left = j == len(counts) - 1 or (j > 0 and counts[j - 1] <= counts[j + 1])
            del edges[j - 1 if merge_left else j]
            continue
        rates = events / counts
        violations = [j for j in range(1, len(rates)) if rates[j] <= rates[j - 1]]
        if not violations:
            break
        del edges[violations[0] - 1]
    return edges

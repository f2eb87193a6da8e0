"""The batch fast path of ``POST /v1/score/batch``: decode once, score in columns, write JSON from fragments.

It answers byte for byte what the reference path answers (``validation.parse_batch`` then
``ScoringEngine.score_json``, kept for ``/v1/score`` and for the golden test that holds the two equal):

1. **Decode.** One msgspec decode of the body into typed structs whose constraints accept only a subset of what
   ``ScoreRequest`` accepts (exact JSON types, the ranges; money must match ``[0-9]{1,16}(.[0-9]{1,2})?``,
   checked by ``money_columns``: amounts already canonical by one pattern over them all, any others on one
   array of characters). The structs are read into columns (counts straight into int64 arrays). If anything
   is refused (a bad item, a wrong envelope, not JSON), the body goes through the reference parser instead, so
   every bad item gets the very problem the reference gives, in place, and the valid items are still scored
   here.
2. **Score.** The scorecard is bin tables and sums: a count's points come from a table by count, the other
   features' bins from one ``searchsorted`` each, and the score is their sum. Money is compared in integer fen
   (never a float), counts as integers and the percent and ratio as floats, exactly as
   ``RiskModel.explain_many`` compares them. Tiers come from a table by score, raised by the policy rules, each
   compiled to one exact ``>=`` on a column. The reasons cited are ranked by one stable ``argsort`` of the
   points per reason, as ``rank_reasons`` ranks them.
3. **Write.** Every part of a result that depends only on the score and tier, a feature's bin, a count, the
   reasons cited or the rules fired is a bytes fragment made once and looked up by an integer key (no Python
   object per item); the other values given (percent, ratio, money) are written by one ``orjson.dumps`` per
   column. The answer is then one ``b"".join`` of about fourteen fragments per item.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import repeat
from typing import Annotated, Any

import msgspec
import numpy as np
import numpy.typing as npt
import orjson

from services.risk.model import FEATURE_NAMES, RiskModel, Thresholds
from services.risk.model.binning import edge_key
from services.risk.model.features import SPECS, FeatureKind, FeatureValues
from services.risk.model.scorecard import MAX_REASON_CODES, REASON_BY_FEATURE, REASONS
from services.risk.model.tiers import TIER_ORDER, RuleOp, tier_rank
from services.risk.scoring.schemas import MAX_BATCH_ITEMS
from services.risk.scoring.validation import parse_batch

# Fen of a rule threshold no valid amount or count reaches (every value validated is below 2**62).
_BEYOND = 2**62
# Rules fired are a bit mask in an int64, next to one bit for unknown funding.
_MAX_RULES = 61
# Fragments remembered per kind (reason lists, rules fired); a few hundred combinations occur in practice.
_CACHE_SIZE = 16_384


# The strict subset, as msgspec types; money's pattern is checked by ``money_columns``.
_MAX_COUNT = 100_000
_Count = Annotated[int, msgspec.Meta(ge=0, le=_MAX_COUNT)]


class _Features(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    stall_days: _Count
    progress_lag_pct: Annotated[float, msgspec.Meta(ge=0, le=100)]
    funding_gap_amount: str | None
    funding_gap_ratio: Annotated[float, msgspec.Meta(ge=0, le=1)] | None
    disputes_30d: _Count
    disputes_90d: _Count
    group_incidents_90d: _Count
    overdue_days: _Count


class _Item(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    features: _Features


class _Batch(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    items: Annotated[list[_Item], msgspec.Meta(max_length=MAX_BATCH_ITEMS)]


_DECODER = msgspec.json.Decoder(_Batch)
_FEATURES_OF = operator.attrgetter("features")
_FIELDS = [(operator.attrgetter(name), SPECS[name].kind is FeatureKind.integer) for name in FEATURE_NAMES]
_MONEY_AT = FEATURE_NAMES.index("funding_gap_amount")


@dataclass(slots=True)
class Columns:
    """Valid items as columns, one per feature in ``FEATURE_NAMES`` order (a list, or an int64 array for a
    count; money as canonical decimal strings, unknown funding as None), with money also in integer fen (0 where
    unknown)."""

    values: list[Any]
    money_fen: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.values[0])


# Powers of ten by exponent: fen are at most 18 digits, so they fit an int64.
_POW10 = 10 ** np.arange(19, dtype=np.int64)
_MONEY_WIDTH = 19  # 16 digits, the point and 2 decimals
_ZERO, _NINE, _POINT = ord("0"), ord("9"), ord(".")


# Amounts as written canonically (two places, no leading zero), one a line: what clients send almost always.
_CANONICAL_MONEY = re.compile(r"(?:0|[1-9][0-9]{0,15})\.[0-9]{2}(?:\n(?:0|[1-9][0-9]{0,15})\.[0-9]{2})*")


def _canonical_fen(texts: list[str | None]) -> npt.NDArray[np.int64] | None:
    """Integer fen of amounts all written canonically (0 where unknown), or None when one is not: then each is
    already what ``money_columns`` writes, and one pattern match over the amounts joined a line each checks
    them all. The digits without the point are the fen, read by numpy in one call."""
    given = list(filter(None, texts))
    if len(given) + texts.count(None) != len(texts):  # an empty string
        return None
    joined = "\n".join(given)
    # A line break inside an amount would split it into lines that each match: count the lines.
    if given and (joined.count("\n") != len(given) - 1 or _CANONICAL_MONEY.fullmatch(joined) is None):
        return None
    fen = np.fromstring(joined.replace(".", ""), dtype=np.int64, sep="\n")
    if len(given) == len(texts):
        return fen
    known = np.zeros(len(texts), dtype=np.int64)
    known[known_mask(texts)] = fen
    return known


def known_mask(column: Sequence[Any]) -> npt.NDArray[np.bool_]:
    """Where the values are not None."""
    return np.fromiter(map(operator.is_not, column, repeat(None)), dtype=bool, count=len(column))


def money_columns(texts: list[str | None]) -> tuple[list[str | None], npt.NDArray[np.int64]] | None:
    """Amounts as canonical decimal strings with two places (what ``str`` of the reference's ``Decimal`` gives)
    and as integer fen (0 where unknown), or None unless every amount matches ``^[0-9]{1,16}(\\.[0-9]{1,2})?$``.

    Worked on the characters as one array (a regular expression per item would cost as much as the decode),
    unless every amount is already canonical (``_canonical_fen``)."""
    fen = _canonical_fen(texts)
    if fen is not None:
        return texts, fen
    n = len(texts)
    given = [t or "" for t in texts]
    strings = np.array(given, dtype=np.str_)
    width = strings.dtype.itemsize // 4
    if width > _MONEY_WIDTH:
        return None
    chars = strings.view(np.uint32).reshape(n, width) if width else np.zeros((n, 0), dtype=np.uint32)
    length = np.fromiter(map(len, given), dtype=np.int64, count=n)
    position = np.arange(width)
    inside = position < length[:, None]
    is_point = chars == _POINT
    digit = (chars >= _ZERO) & (chars <= _NINE)
    points = np.count_nonzero(is_point, axis=1)
    point = np.where(points > 0, is_point.argmax(axis=1) if width else 0, length)
    decimals = np.where(points > 0, length - point - 1, 0)
    known = known_mask(texts)
    valid = (
        ((digit | is_point) == inside).all(axis=1)  # digits and points only, no NUL inside, nothing beyond
        & (points <= 1)
        & (point >= 1)
        & (point <= 16)
        & ((points == 0) | (decimals >= 1))
        & (decimals <= 2)
    )
    if not (valid | ~known).all():
        return None
    # Digit i before the point is worth 10 ** (point - i + 1) fen, after it 10 ** (point - i + 2).
    exponent = point[:, None] - position + np.where(position < point[:, None], 1, 2)
    worth = _POW10[np.where(digit, exponent, 0)]
    fen = np.where(digit, (chars.astype(np.int64) - _ZERO) * worth, 0).sum(axis=1)
    # Already canonical: two places and no leading zero; the rest are rewritten from their fen.
    canonical = (decimals == 2) & ((point == 1) | (chars[:, 0] != _ZERO if width else False))
    written = [
        None if t is None else t if ok else f"{f // 100}.{f % 100:02d}"
        for t, ok, f in zip(texts, canonical.tolist(), fen.tolist(), strict=True)
    ]
    return written, fen


def decode_strict(body: bytes) -> Columns | None:
    """The columns of a body whose every item is in the strict subset, or None when anything is refused."""
    try:
        items = _DECODER.decode(body).items
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    features = list(map(_FEATURES_OF, items))
    n = len(features)
    # Counts straight into arrays; the other values stay lists, which orjson writes.
    values: list[Any] = [
        np.fromiter(map(field, features), dtype=np.int64, count=n) if integer else list(map(field, features))
        for field, integer in _FIELDS
    ]
    money = money_columns(values[_MONEY_AT])
    if money is None:
        return None
    values[_MONEY_AT] = money[0]
    return Columns(values=values, money_fen=money[1])


def columns_of(values: Sequence[FeatureValues]) -> Columns:
    """Columns of feature values validated by the reference parser (money ``Decimal`` with two places)."""
    amounts = [v["funding_gap_amount"] for v in values]
    columns = [[v[name] for v in values] for name in FEATURE_NAMES]  # type: ignore[literal-required]
    columns[FEATURE_NAMES.index("funding_gap_amount")] = [None if a is None else str(a) for a in amounts]
    return Columns(
        values=columns,
        money_fen=np.asarray([0 if a is None else int(a.scaleb(2)) for a in amounts], dtype=np.int64),
    )


def _exact_floor_key(kind: FeatureKind, value: Decimal, strict: bool) -> int | float:
    """The least key ``k`` such that ``x >= k`` holds exactly when ``x >= value`` (``x > value`` if strict)
    for every key ``x`` of the kind: integers for counts, fen for money, floats for percent and ratio."""
    if kind in (FeatureKind.integer, FeatureKind.money):
        scaled = value.scaleb(2) if kind is FeatureKind.money else value
        key = math.floor(scaled) + 1 if strict else math.ceil(scaled)
        return min(key, _BEYOND)
    nearest = float(value)
    exact = Decimal(nearest)
    if exact < value or (strict and exact == value):
        nearest = math.nextafter(nearest, math.inf)
    return nearest


class _Table:
    """Fragments by a small non-negative integer key, each made the first time its key occurs."""

    def __init__(self, size: int, make: Callable[[int], bytes]) -> None:
        self.by_key = np.empty(size, dtype=object)
        self.made = np.zeros(size, dtype=bool)
        self.make = make

    def take(self, keys: npt.NDArray[np.int64]) -> list[bytes]:
        """The fragment of each key, in order."""
        made = self.made[keys]
        if not made.all():
            for key in np.unique(keys[~made]).tolist():
                self.by_key[key] = self.make(key)
            self.made[keys] = True
        return self.by_key[keys].tolist()


class _Feature:
    """One feature's bin table compiled for arrays, and the fragment that follows its value in a result."""

    def __init__(self, model_feature: dict[str, Any], following: bytes) -> None:
        name = model_feature["name"]
        self.name = name
        self.kind = SPECS[name].kind
        self.nullable = SPECS[name].nullable
        edges = [Decimal(e) for e in model_feature["edges"]]
        # As ``RiskModel`` compares: money exactly as Decimal (so in fen, the least fen at or above the edge),
        # other kinds by the edge's key (``binning.edge_key``: an int, or the float nearest the edge).
        self.edges = np.asarray(
            [
                _exact_floor_key(self.kind, e, False) if self.kind is FeatureKind.money else edge_key(e, self.kind)
                for e in edges
            ],
            dtype=self.dtype,
        )
        self.points = np.asarray([*model_feature["points"], model_feature["unknown_points"] or 0], dtype=np.int64)
        self.unknown_bin = len(model_feature["points"])
        self.fragments = np.asarray([b',"points":%d}' % p + following for p in self.points.tolist()], dtype=object)
        # Counts are validated to 0..100,000: the points by count, and each count's value and the fragment after
        # it, made as counts occur.
        self.written = _Table(_MAX_COUNT + 1, self._write) if self.kind is FeatureKind.integer else None
        # (In the smallest integer type that holds them: 100,001 entries per count.)
        self.points_by_count = (
            self.points[np.searchsorted(self.edges, np.arange(_MAX_COUNT + 1), side="right")].astype(
                np.min_scalar_type(-int(np.abs(self.points).max()) - 1)
            )
            if self.kind is FeatureKind.integer
            else None
        )

    def _write(self, count: int) -> bytes:
        return b"%d%s" % (count, self.fragments[np.searchsorted(self.edges, count, side="right")])

    @property
    def dtype(self) -> type[np.generic]:
        return np.float64 if self.kind in (FeatureKind.percent, FeatureKind.ratio) else np.int64


class BatchScorer:
    """Scores a batch body into the bytes of ``{"results": [...]}`` (see the module's docstring)."""

    def __init__(
        self,
        model: RiskModel,
        thresholds: Thresholds,
        reference: Callable[[Sequence[Any], dict[int, Any]], bytes],
    ) -> None:
        """``reference`` scores what the reference parser returns (``ScoringEngine.score_json``); it is used
        when there are more policy rules than fit in the bit mask of rules fired (61)."""
        self.model = model
        self.reference = reference
        spec_features = model.spec["features"]
        self.features: list[_Feature] = []
        for i, feature in enumerate(spec_features):
            if i + 1 < len(spec_features):
                following = b',{"feature":%s,"value":' % orjson.dumps(spec_features[i + 1]["name"])
            else:
                following = b'],"reason_codes":'
            self.features.append(_Feature(feature, following))
        codes = [reason.code for reason in REASONS]
        self.reason_of_feature = [codes.index(REASON_BY_FEATURE[name]) for name in FEATURE_NAMES]
        self.low = model.min_score
        scores = range(model.min_score, model.max_score + 1)
        cuts = ((thresholds.red, 3), (thresholds.orange, 2), (thresholds.yellow, 1))
        probability = [model.scale.probability(s) for s in scores]
        self.rank_by_score = np.asarray(
            [next((rank for cut, rank in cuts if p >= cut), 0) for p in probability], dtype=np.int64
        )
        first = orjson.dumps(spec_features[0]["name"])
        self.heads = np.asarray(
            [
                [
                    b'{"probability":%s,"score":%d,"tier":%s,"contributions":[{"feature":"intercept","value":null,'
                    b'"points":%d},{"feature":%s,"value":'
                    % (orjson.dumps(p), s, orjson.dumps(tier), model.intercept_points, first)
                    for tier in TIER_ORDER
                ]
                for s, p in zip(scores, probability, strict=True)
            ],
            dtype=object,
        ).reshape(-1)  # by score, then tier: at (score - min_score) * len(TIER_ORDER) + tier's rank
        self.rules = [
            (
                FEATURE_NAMES.index(rule.feature.value),
                _exact_floor_key(SPECS[rule.feature.value].kind, rule.value, rule.op is RuleOp.gt),
                tier_rank(rule.min_tier),
                rule.code,
            )
            for rule in thresholds.rules
        ]
        self.tail = b',"model_version":%s,"thresholds_version":%s}' % (
            orjson.dumps(model.version),
            orjson.dumps(thresholds.version),
        )
        # The reasons cited, in order, as the digits of one number: digit k is 1 + the k-th reason's index in
        # REASONS, 0 past the last one cited (7 ** 4 = 2,401 lists for 6 reasons and 4 cited at most).
        self.cited = min(MAX_REASON_CODES, len(REASONS))
        self.reason_digits = (len(REASONS) + 1) ** np.arange(self.cited, dtype=np.int64)
        self.reason_lists = _Table((len(REASONS) + 1) ** self.cited, self._make_reasons)
        self._tails: dict[int, bytes] = {}
        self._tails_separated: dict[int, bytes] = {}

    def score(self, body: bytes) -> bytes:
        """``{"results": [...]}`` for a batch body, as the reference path writes it.

        Raises ProblemError(400) for a body that is not JSON and ProblemError(422) for one that is not an
        object with ``items``, a list of at most 10,000 entries (both from the reference parser).
        """
        columns = decode_strict(body) if len(self.rules) <= _MAX_RULES else None
        if columns is not None:
            # Every item valid: one join over every fragment of every result, commas carried by the tails, into
            # the one copy of the answer (each further copy of a megabyte costs as much as a feature's scoring).
            fragments = self.fragments(columns, separated=True)
            width, n = len(fragments), len(columns)
            flat: list[bytes] = [b'{"results":['] * (width * n + 2)
            for at, column in enumerate(fragments):
                flat[1 + at : 1 + width * n : width] = column
            flat[-1] = b"]}"
            return b"".join(flat)
        values, problems = parse_batch(body)
        if len(self.rules) > _MAX_RULES:
            return self.reference(values, problems)
        scored = iter(self.results(columns_of([v for v in values if v is not None])))
        parts = [orjson.dumps({"error": problems[i]}) if v is None else next(scored) for i, v in enumerate(values)]
        if not parts:
            return b'{"results":[]}'
        parts[0] = b'{"results":[' + parts[0]
        parts[-1] += b"]}"
        return b",".join(parts)

    def results(self, columns: Columns) -> list[bytes]:
        """The JSON of each item's result, in order."""
        return [b"".join(parts) for parts in zip(*self.fragments(columns, separated=False), strict=True)]

    def fragments(self, columns: Columns, *, separated: bool) -> list[list[bytes]]:
        """The fragments of every item's result, as columns: joined across a row they make the result's JSON.
        When ``separated``, every result but the last ends with a comma."""
        n = len(columns)
        if n == 0:
            return [[]]
        by_reason = np.zeros((n, len(REASONS)), dtype=np.int64)
        total = np.full(n, self.model.intercept_points, dtype=np.int64)
        unknown_any = np.zeros(n, dtype=bool)
        keys: list[npt.NDArray[Any]] = []
        known: list[npt.NDArray[np.bool_] | None] = []
        pieces: list[list[bytes]] = []
        for feature, column, reason in zip(self.features, columns.values, self.reason_of_feature, strict=True):
            mask: npt.NDArray[np.bool_] | None = None
            if feature.kind is FeatureKind.money:
                key = np.asarray(columns.money_fen, dtype=np.int64)
                mask = known_mask(column)
            elif feature.nullable and feature.dtype is np.float64:
                # None becomes NaN, which no valid value is.
                key = np.asarray(column, dtype=np.float64)
                mask = ~np.isnan(key)
                key[~mask] = 0.0
            elif feature.nullable:
                mask = known_mask(column)
                key = np.asarray([0 if v is None else v for v in column], dtype=feature.dtype)
            else:
                key = np.asarray(column, dtype=feature.dtype)
            if feature.points_by_count is not None and mask is None:
                points = feature.points_by_count[key]
            else:
                bins = np.searchsorted(feature.edges, key, side="right")
                if mask is not None and not mask.all():
                    bins = np.where(mask, bins, feature.unknown_bin)
                    unknown_any |= ~mask
                points = feature.points[bins]
            total += points
            by_reason[:, reason] += points if mask is None else np.where(mask, points, 0)
            keys.append(key)
            known.append(mask)
            if feature.written is not None:
                # A count and its points are one fragment: few distinct counts occur, each written once.
                pieces.append(feature.written.take(key))
            else:
                pieces.append(orjson.dumps(column)[1:-1].split(b","))
                pieces.append(feature.fragments[bins].tolist())

        score_at = total - self.low
        rank = self.rank_by_score[score_at]
        fired = np.zeros(n, dtype=np.int64)
        for bit, (index, least, min_rank, _code) in enumerate(self.rules):
            holds = keys[index] >= least
            mask = known[index]
            if mask is not None:
                holds &= mask
            fired |= holds.astype(np.int64) << bit
            rank = np.where(holds, np.maximum(rank, min_rank), rank)

        heads = self.heads[score_at * len(TIER_ORDER) + rank].tolist()
        reasons = self._reasons(by_reason)
        tail_keys = (fired << 1 | unknown_any).tolist()
        if separated:
            tails = _cached(self._tails_separated, tail_keys, lambda key: self._make_tail(key) + b",")
            tails[-1] = tails[-1][:-1]
        else:
            tails = _cached(self._tails, tail_keys, self._make_tail)
        return [heads, *pieces, reasons, tails]

    def _reasons(self, by_reason: npt.NDArray[np.int64]) -> list[bytes]:
        """Each row's reason list (``rank_reasons``: those with points, most first, ties in catalogue order)."""
        order = np.argsort(-by_reason, axis=1, kind="stable")[:, : self.cited]
        # Reasons with points come first in that order: the first ``positive`` of each row are cited.
        positive = np.count_nonzero(by_reason > 0, axis=1)
        cited = np.arange(self.cited) < positive[:, None]
        return self.reason_lists.take(np.where(cited, order + 1, 0) @ self.reason_digits)

    def _make_reasons(self, key: int) -> bytes:
        reasons = []
        while key:
            key, digit = divmod(key, len(REASONS) + 1)
            reasons.append(REASONS[digit - 1])
        return orjson.dumps(tuple(reasons))

    def _make_tail(self, key: int) -> bytes:
        codes = [code for bit, (_, _, _, code) in enumerate(self.rules) if key >> (bit + 1) & 1]
        return b',"rules_fired":%s,"funding_unknown":%s%s' % (
            orjson.dumps(codes),
            b"true" if key & 1 else b"false",
            self.tail,
        )


def _cached(cache: dict[Any, bytes], keys: list[Any], make: Callable[[Any], bytes]) -> list[bytes]:
    """The fragment of each key, made once per distinct key (the cache is emptied when it grows too big)."""
    try:
        return list(map(cache.__getitem__, keys))
    except KeyError:
        missing = set(keys).difference(cache)
    if len(cache) + len(missing) > _CACHE_SIZE:
        cache.clear()
        missing = set(keys)
    for key in missing:
        cache[key] = make(key)
    return list(map(cache.__getitem__, keys))


__all__ = ["BatchScorer", "Columns", "columns_of", "decode_strict"]

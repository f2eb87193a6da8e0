"""The served model: the verified scorecard, the tier configuration in force, and JSON-ready results.

``ScoringEngine.score_many`` is the one path from validated feature values to results, used by ``/v1/score``
and assessments alike. Results are plain dicts that orjson serializes as they are (reason codes are dataclasses,
which orjson writes as objects). ``/v1/score/batch`` takes the fast path ``ScoringEngine.batch``
(``services.risk.scoring.batch``), which writes the same bytes as ``score_json`` over ``validation.parse_batch``,
the reference kept for the golden test.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
from fastapi import FastAPI

from services.risk.model import FEATURE_NAMES, ArtifactError, ReasonCode, RiskModel, RiskTier, Thresholds, load_model
from services.risk.model.features import SPECS, FeatureKind
from services.risk.model.tiers import TIER_ORDER, RuleOp, tier_rank
from services.risk.scoring.batch import BatchScorer
from services.risk.settings import RiskSettings

log = logging.getLogger("handover.risk.model")

# Position of the money feature in an explanation's contributions (the intercept comes first).
_AMOUNT_AT = 1 + FEATURE_NAMES.index("funding_gap_amount")

# Smoke probes: a quiet project, a troubled one, and one whose funding is unknown.
SMOKE_PROBES: tuple[dict[str, Any], ...] = (
    {name: 0 for name in FEATURE_NAMES} | {"funding_gap_amount": Decimal("0.00"), "funding_gap_ratio": 0.0},
    {
        "stall_days": 400,
        "progress_lag_pct": 60.0,
        "funding_gap_amount": Decimal("80000000.00"),
        "funding_gap_ratio": 0.8,
        "disputes_30d": 6,
        "disputes_90d": 12,
        "group_incidents_90d": 2,
        "overdue_days": 500,
    },
    {name: 0 for name in FEATURE_NAMES} | {"funding_gap_amount": None, "funding_gap_ratio": None},
)


class SmokeTestFailed(ArtifactError):
    """The loaded model gave an impossible answer on the smoke probes."""


class TierPolicy:
    """Thresholds and policy rules compiled for speed; decides exactly as ``services.risk.model.decide_tier``.

    Rules on count features with whole-number values compare ints with ints; every other rule keeps its
    ``Decimal`` value, so each comparison is the exact one ``PolicyRule.fires`` makes.
    """

    def __init__(self, thresholds: Thresholds) -> None:
        self.thresholds = thresholds
        self.version = thresholds.version
        self._cuts = (
            (thresholds.red, RiskTier.red),
            (thresholds.orange, RiskTier.orange),
            (thresholds.yellow, RiskTier.yellow),
        )
        rules = []
        for rule in thresholds.rules:
            value: int | Decimal = rule.value
            if SPECS[rule.feature.value].kind is FeatureKind.integer and rule.value == rule.value.to_integral_value():
                value = int(rule.value)
            rules.append((rule.feature.value, rule.op is RuleOp.ge, value, tier_rank(rule.min_tier), rule.code))
        self._rules = tuple(rules)

    def decide(self, probability: float, values: Mapping[str, Any]) -> tuple[RiskTier, list[str]]:
        """The tier of a probability raised by every rule that fires, and the codes of those rules."""
        tier = RiskTier.green
        for cut, cut_tier in self._cuts:
            if probability >= cut:
                tier = cut_tier
                break
        if not self._rules:
            return tier, []
        rank = tier_rank(tier)
        fired: list[str] = []
        for name, at_least, value, min_rank, code in self._rules:
            given = values[name]
            if given is not None and (given >= value if at_least else given > value):
                fired.append(code)
                if min_rank > rank:
                    rank = min_rank
        return TIER_ORDER[rank], fired


class _ReasonFragments:
    """Reason-code lists serialized once each: the model shares one tuple per combination of reasons, and orjson
    writes a cached fragment far faster than it walks dataclasses. Entries keep their tuple alive, so an id
    seen here is never reused by another tuple while cached."""

    def __init__(self, size: int = 16_384) -> None:
        self.size = size
        self.entries: dict[int, tuple[tuple[ReasonCode, ...], orjson.Fragment]] = {}

    def __call__(self, reasons: tuple[ReasonCode, ...]) -> orjson.Fragment:
        entry = self.entries.get(id(reasons))
        if entry is None or entry[0] is not reasons:
            if len(self.entries) >= self.size:
                self.entries.clear()
            entry = self.entries[id(reasons)] = (reasons, orjson.Fragment(orjson.dumps(reasons)))
        return entry[1]


@contextmanager
def collection_paused() -> Iterator[None]:
    """No garbage collection inside the block: scoring a batch allocates tens of thousands of short-lived
    objects, and collections triggered on the way would scan the whole heap for nothing. The block must not
    await, so nothing else runs while collection is off."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class ScoringEngine:
    """A verified model and the tier policy in force."""

    def __init__(self, model: RiskModel, thresholds: Thresholds) -> None:
        self.model = model
        self.policy = TierPolicy(thresholds)
        self.thresholds = thresholds
        self._reason_fragments = _ReasonFragments()
        self.batch = BatchScorer(model, thresholds, self.score_json)

    @property
    def model_version(self) -> str:
        return self.model.version

    def score_many(self, values: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Score validated feature values (money ``Decimal`` with two places, funding ``None`` when unknown), in order.

        Each result holds ``probability``, ``score``, ``tier``, ``contributions`` (money as a decimal string),
        ``reason_codes`` (``ReasonCode`` entries), ``rules_fired``, ``funding_unknown``, ``model_version`` and
        ``thresholds_version``. Raises ``KeyError`` or ``ValueError`` for values that were not validated.
        """
        decide = self.policy.decide
        thresholds_version = self.policy.version
        results: list[dict[str, Any]] = []
        append = results.append
        for explanation, given in zip(self.model.explain_many(values), values, strict=True):
            # Money leaves as a decimal string; the explanation's dicts are ours to change.
            contributions: list[dict[str, Any]] = explanation.contributions  # type: ignore[assignment]
            amount = contributions[_AMOUNT_AT]["value"]
            if amount is not None:
                # Validated money has two places already, so str() is its canonical decimal string.
                contributions[_AMOUNT_AT]["value"] = str(amount)
            tier, fired = decide(explanation.probability, given)
            append(
                {
                    "probability": explanation.probability,
                    "score": explanation.score,
                    "tier": tier,
                    "contributions": contributions,
                    "reason_codes": explanation.reason_codes,
                    "rules_fired": fired,
                    "funding_unknown": explanation.funding_unknown,
                    "model_version": explanation.model_version,
                    "thresholds_version": thresholds_version,
                }
            )
        return results

    def score_json(self, values: Sequence[Mapping[str, Any] | None], problems: Mapping[int, Any]) -> bytes:
        """``{"results": [...]}`` as JSON bytes: each value's result in order, ``{"error": problem}`` where a value
        is None (its problem taken from ``problems`` by index). Same errors as ``score_many``.

        The reference for the batch fast path (``self.batch``), which must answer the same bytes."""
        with collection_paused():
            if problems:
                scored = iter(self.score_many([v for v in values if v is not None]))
                results = [{"error": problems[i]} if v is None else next(scored) for i, v in enumerate(values)]
            else:
                results = self.score_many(values)  # type: ignore[arg-type]
            fragments = self._reason_fragments
            for result in results:
                if "reason_codes" in result:
                    result["reason_codes"] = fragments(result["reason_codes"])
            return orjson.dumps({"results": results})

    def smoke_test(self) -> None:
        """Score the probes and check the answers are possible. Raises SmokeTestFailed when one is not."""
        results = self.score_many([dict(p) for p in SMOKE_PROBES])
        for probe, result in zip(SMOKE_PROBES, results, strict=True):
            if not 0.0 <= result["probability"] <= 1.0:
                raise SmokeTestFailed(f"probability {result['probability']} outside 0..1 for {probe}")
            if sum(c["points"] for c in result["contributions"]) != result["score"]:
                raise SmokeTestFailed(f"contributions do not add up to the score for {probe}")
            if result["funding_unknown"] != (probe["funding_gap_amount"] is None):
                raise SmokeTestFailed(f"funding_unknown is wrong for {probe}")
        if results[1]["probability"] < results[0]["probability"]:
            raise SmokeTestFailed("a troubled project scored below a quiet one")


def load_engine(settings: RiskSettings) -> ScoringEngine:
    """Load and verify the artifact named by the settings, then smoke-test it (blocking: run in a thread).

    Raises ArtifactError (or its subclasses) when the artifact is missing, tampered with or gives impossible
    answers.
    """
    engine = ScoringEngine(load_model(settings.model_path), settings.tier_config)
    engine.smoke_test()
    return engine


@dataclass
class ServedModel:
    """What ``app.state.served_model`` holds: the engine once loaded, or why it is not."""

    engine: ScoringEngine | None = None
    error: str = "the model is loading"


async def load_on_startup(app: FastAPI) -> None:
    """Lifespan hook: load the model; on failure the service stays up and ``/readyz`` reports why."""
    served: ServedModel = app.state.served_model
    try:
        served.engine = await asyncio.to_thread(load_engine, app.state.settings)
    except (ArtifactError, OSError, ValueError) as exc:
        served.error = f"{type(exc).__name__}: {exc}"
        log.error("the risk model did not load: %s", served.error)
        return
    log.info("risk model %s loaded, thresholds %s", served.engine.model_version, served.engine.policy.version)

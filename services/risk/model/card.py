"""The model card: ``model_card.json`` (read by ``load_model`` and ``GET /v1/model``) and ``MODEL_CARD.md``.

The card holds no timestamps, so retraining with the same seed changes only the artifact's sha256 and size.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import skops

from . import synthetic
from .artifact import CARD_JSON, CARD_MD, TRUSTED_TYPES
from .features import schema
from .scorecard import REASON_BY_FEATURE, REASONS, TrainedModel
from .tiers import DEFAULT_THRESHOLDS, THRESHOLDS_RATIONALE

TARGET = (
    "Probability that the project is NOT delivered within 12 months after its contract delivery date "
    "(label 1: terminated, or delivered more than 12 months late, or still undelivered by then)."
)
INTENDED_USE = [
    "Rank and tier projects in a city's 保交房 risk ledger so that city and district officers look first at the "
    "projects most likely to miss delivery, and see why (contributions and reason codes).",
    "Trigger reassessment and tier-change events between the registry, risk and financing services.",
    "Support, not replace, the weekly dispatch (周调度) and the monthly bulletin (月通报): every tier can be "
    "overridden by a city admin with a reason.",
]
OUT_OF_SCOPE = [
    "Credit decisions of banks (授信, 放款) or the whitelist decision itself: the model does not see the "
    "developer's balance sheet or collateral.",
    "Judging individual buyers, developers' staff or officials; any use on people rather than projects.",
    "Projects outside the ledger's population (e.g. healthy projects, commercial property, other cities) "
    "without retraining on their outcomes.",
    "Precise delivery-date forecasts: the model answers one yes/no question about a 12-month horizon.",
    "Any decision while the model is trained on synthetic data only, beyond prioritisation: its numbers "
    "describe the generator's world until it is retrained on recorded outcomes.",
]
METHOD = (
    "A points scorecard. Each feature is cut into bins on the training data (candidate edges at quantiles, "
    "rounded to two significant digits; small bins merged; adjacent bins pooled until the failure rate "
    "rises from bin to bin). scikit-learn LogisticRegression is fitted on cumulative step indicators "
    "[feature >= edge]; while a step is worth less than half a point (including negative ones) the "
    "weakest step is dropped, merging its bins, and the regression refitted. All steps are therefore "
    "positive and the model is monotone by construction: more stall, lag, gap, disputes, group incidents "
    "or overdue days never lower the score or the probability, whatever the data. Why this rather than "
    "gradient boosting with monotonic_cst: the contributions ARE the model (integer points that add up "
    "exactly to the score, not a post-hoc approximation such as SHAP); the whole model fits on one page "
    "that officials can check (tables below); serving is eight binary searches and a sum, microseconds "
    "per project with no numpy or scikit-learn on the request path, and money is compared as Decimal; a "
    "logistic regression is calibrated by its maximum-likelihood fit, which the held-out reliability "
    "table checks; the artifact is a few kilobytes of plain data (dicts, lists, strings, numbers) that "
    "skops loads with no trusted types. "
    "The price is coarser resolution and no interactions (e.g. a stall with a large gap counts as the sum "
    "of the two)."
)
UNKNOWN_FUNDING = (
    "When the financing service is unreachable, funding_gap_amount and funding_gap_ratio are null. Each "
    "then contributes its neutral points (the average points of the training projects, listed as "
    "'unknown' in the tables below), the explanation carries funding_unknown = true, and no funding "
    "reason code is given. The score neither assumes the project is funded (0 points) nor that it has the "
    "worst gap; the service records the assessment as funding-unknown and reassesses when financing answers."
)
LIMITATIONS = [
    "Trained on synthetic histories until enough outcomes are recorded (see training data); the synthetic "
    "world's effect sizes are assumptions, not estimates.",
    "Facts are a snapshot; the model has no memory of a project's trajectory beyond the windows in its "
    "features (30/90-day disputes, days stalled, days overdue).",
    "funding_gap_amount and funding_gap_ratio are strongly related; the fit usually keeps most of the "
    "funding signal in one of them.",
    "The monotone constraint is a policy choice (a worse situation must never look safer); with real data "
    "it may cost a little accuracy where the data suggest otherwise.",
]


def build_card(trained: TrainedModel, artifact_file: str, sha256: str, size: int) -> dict[str, Any]:
    """The model card as JSON-ready data for a trained model and its written artifact."""
    spec = trained.spec
    thresholds = DEFAULT_THRESHOLDS
    return {
        "name": spec["name"],
        "version": spec["version"],
        "artifact": {
            "file": artifact_file,
            "format": "skops",
            "skops_version": skops.__version__,
            "sha256": sha256,
            "bytes": size,
            "trusted_types": TRUSTED_TYPES,
        },
        "target": TARGET,
        "intended_use": INTENDED_USE,
        "out_of_scope": OUT_OF_SCOPE,
        "training_data": trained.provenance,
        "method": METHOD,
        "score_scale": {
            **spec["scale"],
            "description": (
                f"{spec['scale']['base_score']} points = odds 1:{spec['scale']['base_odds_against']} of failure "
                f"(probability {1 / (1 + spec['scale']['base_odds_against']):.0%}); every "
                f"{spec['scale']['pdo']} points double the odds. probability = 1 / (1 + "
                f"{spec['scale']['base_odds_against']} * 2 ** (-(score - {spec['scale']['base_score']}) / "
                f"{spec['scale']['pdo']})), rounded to 4 places."
            ),
            "min_score": trained.model.min_score,
            "max_score": trained.model.max_score,
        },
        "features": schema(),
        "unknown_funding": UNKNOWN_FUNDING,
        "scorecard": {"intercept_points": spec["intercept_points"], "features": trained.model.bins()},
        "reason_codes": [
            {
                "code": reason.code,
                "zh": reason.zh,
                "en": reason.en,
                "features": [f for f, code in REASON_BY_FEATURE.items() if code == reason.code],
            }
            for reason in REASONS
        ],
        "metrics": trained.metrics,
        "thresholds": {
            "version": thresholds.version,
            "red": thresholds.red,
            "orange": thresholds.orange,
            "yellow": thresholds.yellow,
            "rules": [rule.model_dump(mode="json") for rule in thresholds.rules],
            "rationale": THRESHOLDS_RATIONALE,
        },
        "limitations": LIMITATIONS,
    }


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join("—" if v is None else str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def render_markdown(card: dict[str, Any]) -> str:
    """``MODEL_CARD.md`` from the card data."""
    data = card["training_data"]
    metrics = card["metrics"]
    th = card["thresholds"]
    parts = [
        f"# Model card: {card['name']}",
        "Generated by `python -m services.risk.model.train`; do not edit by hand (edit `card.py`).",
        _table(
            ["field", "value"],
            [
                ["version", f"`{card['version']}`"],
                [
                    "artifact",
                    f"`{card['artifact']['file']}` ({card['artifact']['bytes']} bytes, skops "
                    f"{card['artifact']['skops_version']})",
                ],
                ["sha256", f"`{card['artifact']['sha256']}`"],
                ["trusted types", "none beyond skops' builtins (`trusted=[]`)"],
                ["training data", data["source"]],
            ],
        ),
        "## Target",
        card["target"],
        "## Intended use",
        "\n".join(f"- {line}" for line in card["intended_use"]),
        "## Out of scope",
        "\n".join(f"- {line}" for line in card["out_of_scope"]),
        "## Training data",
        _table(["field", "value"], [[k, f"`{v}`"] for k, v in data.items()]),
    ]
    if data["source"] == "synthetic":
        parts += ["### The synthetic generator and its causal story", inspect.getdoc(synthetic) or ""]
    parts += [
        "## Method",
        card["method"],
        "## Points scale",
        card["score_scale"]["description"]
        + f" Scores range from {card['score_scale']['min_score']} to {card['score_scale']['max_score']}.",
        "## Features",
        _table(
            ["feature", "type", "unit", "range", "nullable", "description"],
            [
                [
                    f"`{f['name']}`",
                    f["type"],
                    f"{f['unit']} ({f['unit_zh']})",
                    f"{f['minimum']}..{f['maximum'] or ''}",
                    "yes (unknown)" if f["nullable"] else "no",
                    f"{f['description_en']} {f['description_zh']}",
                ]
                for f in card["features"]
            ],
        ),
        "## Unknown funding",
        card["unknown_funding"],
        "## The scorecard",
        f"Intercept: **{card['scorecard']['intercept_points']}** points. A value at or above a bin's lower "
        "bound and below the next bound earns the bin's points; the score is the intercept plus one bin per "
        "feature.",
    ]
    for feature in card["scorecard"]["features"]:
        rows = [[f">= {b['from']}", b["points"]] for b in feature["bins"]]
        if feature["unknown_points"] is not None:
            rows.append(["unknown (null)", feature["unknown_points"]])
        parts += [f"### `{feature['feature']}`", _table(["value", "points"], rows)]
    parts += [
        "## Reason codes",
        "At most four per explanation: the codes whose features add the most points above their lowest bin "
        "(ties in the order below); features with unknown values are never cited.",
        _table(
            ["code", "zh", "en", "features"],
            [[r["code"], r["zh"], r["en"], ", ".join(r["features"])] for r in card["reason_codes"]],
        ),
        f"## Evaluation on {metrics['n']} held-out projects",
        _table(
            ["metric", "value"],
            [
                ["AUC", metrics["auc"]],
                ["Brier score", metrics["brier"]],
                ["log loss", metrics["log_loss"]],
                ["observed failure rate", metrics["base_rate"]],
                ["mean predicted probability", metrics["mean_probability"]],
                ["calibration intercept (ideal 0)", metrics["calibration_intercept"]],
                ["calibration slope (ideal 1)", metrics["calibration_slope"]],
                ["expected calibration error", metrics["expected_calibration_error"]],
            ],
        ),
        "### Reliability (10 equal-width bins of predicted probability)",
        _table(
            ["predicted", "projects", "mean predicted", "observed"],
            [[r["bin"], r["n"], r["mean_predicted"], r["observed_rate"]] for r in metrics["reliability"]],
        ),
        f"## Tiers (thresholds version `{th['version']}`)",
        _table(
            ["tier", "lowest probability"],
            [["red", th["red"]], ["orange", th["orange"]], ["yellow", th["yellow"]], ["green", 0]],
        ),
        th["rationale"],
        "Policy rules (they can only raise a tier):",
        _table(
            ["code", "condition", "at least", "zh", "en"],
            [
                [r["code"], f"`{r['feature']} {r['op']} {r['value']}`", r["min_tier"], r["zh"], r["en"]]
                for r in th["rules"]
            ],
        ),
        "Tiers of the held-out projects (probability thresholds plus rules):",
        _table(
            ["tier", "projects", "share", "observed failure rate"],
            [[t["tier"], t["n"], t["share"], t["observed_rate"]] for t in metrics["tiers"]],
        ),
        "A tier rises at once and falls only after a configured number of consecutive lower assessments "
        "(`tiers.next_tier`).",
        "## Limitations",
        "\n".join(f"- {line}" for line in card["limitations"]),
        "## Reproduce and retrain",
        "- Synthetic: `make train` (`.venv/bin/python -m services.risk.model.train --synthetic --seed "
        "20251125 --out services/risk/artifacts/`). Same seed, same predictions; the artifact's bytes differ "
        "(skops records object ids), so the sha256 above changes on every run.\n"
        "- Real outcomes: `.venv/bin/python -m services.risk.train_from_registry` (labels from the registry, "
        "features from risk's last assessment before each outcome; refuses with fewer than 200 labels).\n"
        "- After a deliberate model change: `.venv/bin/python -m services.risk.model.golden --update`.",
    ]
    return "\n\n".join(parts) + "\n"


def write_card(card: dict[str, Any], out_dir: Path) -> None:
    """Write ``model_card.json`` and ``MODEL_CARD.md`` into ``out_dir``. Raises ``OSError`` on write failure."""
    (out_dir / CARD_JSON).write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out_dir / CARD_MD).write_text(render_markdown(card), encoding="utf-8")

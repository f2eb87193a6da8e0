"""Training: synthetic cold start or real outcomes, held-out evaluation, artifact and model card. Also the CLI.

Usage::

    python -m services.risk.model.train --synthetic --seed 20251125 --out services/risk/artifacts/

Real outcomes are trained on by ``python -m services.risk.train_from_registry``, which calls
``train_from_outcomes`` here with the features risk assessed before each outcome.

Both paths split the labelled projects (stratified, seeded) into 75% training and 25% held out, fit the
scorecard on the training part and evaluate the served model (integer points, rounded probabilities) on the
held-out part. The artifact is the model that was evaluated; it is not refitted on all rows.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from threadpoolctl import threadpool_limits

from . import synthetic
from .artifact import DEFAULT_ARTIFACT_DIR, save_artifact
from .card import build_card, write_card
from .features import FEATURE_NAMES, FeatureValues, parse_features
from .scorecard import RiskModel, TrainedModel, fit_scorecard
from .tiers import DEFAULT_THRESHOLDS, TIER_ORDER, Thresholds, decide_tier

DEFAULT_SEED = 20251125
DEFAULT_N_PROJECTS = 20_000
HOLDOUT_SHARE = 0.25
RELIABILITY_BINS = 10


class InsufficientLabels(ValueError):
    """Too few labelled projects (or too few of one outcome) to train a model worth serving."""


def _stratified_split(labels: np.ndarray, seed: int) -> tuple[list[int], list[int]]:
    rng = np.random.Generator(np.random.PCG64(seed))
    train: list[int] = []
    holdout: list[int] = []
    for outcome in (0, 1):
        index = np.flatnonzero(labels == outcome)
        rng.shuffle(index)
        cut = math.ceil(len(index) * HOLDOUT_SHARE)
        holdout.extend(int(i) for i in index[:cut])
        train.extend(int(i) for i in index[cut:])
    return sorted(train), sorted(holdout)


def reliability_table(probabilities: np.ndarray, labels: np.ndarray) -> list[dict[str, Any]]:
    """Ten equal-width probability bins: count, mean predicted probability and observed failure rate."""
    table = []
    index = np.minimum((probabilities * RELIABILITY_BINS).astype(np.int64), RELIABILITY_BINS - 1)
    for b in range(RELIABILITY_BINS):
        mask = index == b
        n = int(mask.sum())
        table.append(
            {
                "bin": f"{b / RELIABILITY_BINS:.1f}-{(b + 1) / RELIABILITY_BINS:.1f}",
                "n": n,
                "mean_predicted": round(float(probabilities[mask].mean()), 4) if n else None,
                "observed_rate": round(float(labels[mask].mean()), 4) if n else None,
            }
        )
    return table


def _calibration_line(probabilities: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    clipped = np.clip(probabilities, 1e-4, 1 - 1e-4)
    logit = np.log(clipped / (1 - clipped)).reshape(-1, 1)
    with threadpool_limits(limits=1):
        fit = LogisticRegression(C=np.inf, solver="lbfgs", max_iter=1000).fit(logit, labels)
    return float(fit.intercept_[0]), float(fit.coef_[0][0])


def evaluate(
    model: RiskModel,
    records: Sequence[Mapping[str, Any]],
    labels: Sequence[int],
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> dict[str, Any]:
    """AUC, Brier score, calibration and reliability table, and tier counts of the served model on ``records``.

    Raises ``ValueError`` when ``labels`` hold a single outcome (AUC is undefined).
    """
    explanations = model.explain_many(records)
    p = np.array([e.probability for e in explanations])
    y = np.asarray(labels, dtype=np.int64)
    intercept, slope = _calibration_line(p, y)
    reliability = reliability_table(p, y)
    ece = sum(row["n"] * abs(row["mean_predicted"] - row["observed_rate"]) for row in reliability if row["n"]) / len(y)
    tiers = [decide_tier(e.probability, r, thresholds).tier for e, r in zip(explanations, records, strict=True)]
    tier_table = []
    for tier in reversed(TIER_ORDER):
        mask = np.array([t is tier for t in tiers])
        n = int(mask.sum())
        tier_table.append(
            {
                "tier": tier.value,
                "n": n,
                "share": round(n / len(y), 4),
                "observed_rate": round(float(y[mask].mean()), 4) if n else None,
            }
        )
    return {
        "split": "holdout",
        "n": len(y),
        "base_rate": round(float(y.mean()), 4),
        "mean_probability": round(float(p.mean()), 4),
        "auc": round(float(roc_auc_score(y, p)), 4),
        "brier": round(float(brier_score_loss(y, p)), 4),
        "log_loss": round(float(log_loss(y, np.clip(p, 1e-4, 1 - 1e-4))), 4),
        "calibration_intercept": round(intercept, 3),
        "calibration_slope": round(slope, 3),
        "expected_calibration_error": round(ece, 4),
        "reliability": reliability,
        "tiers": tier_table,
    }


def _train(
    records: Sequence[Mapping[str, Any]], labels: Sequence[int], provenance: dict[str, Any], split_seed: int
) -> TrainedModel:
    y = np.asarray(labels, dtype=np.int64)
    train_index, holdout_index = _stratified_split(y, split_seed)
    provenance = {
        **provenance,
        "split_seed": split_seed,
        "n_train": len(train_index),
        "n_holdout": len(holdout_index),
        "train_positive_rate": round(float(y[train_index].mean()), 4),
    }
    spec = fit_scorecard([records[i] for i in train_index], y[train_index].tolist(), provenance)
    model = RiskModel(spec)
    metrics = evaluate(model, [records[i] for i in holdout_index], y[holdout_index].tolist())
    return TrainedModel(spec=spec, model=model, provenance=provenance, metrics=metrics)


def train_synthetic(seed: int = DEFAULT_SEED, n: int = DEFAULT_N_PROJECTS) -> TrainedModel:
    """Train on ``n`` synthetic projects from ``seed`` (deterministic: same inputs, same predictions).

    Raises ``ValueError`` when ``n`` is too small to hold out a sample of both outcomes.
    """
    data = synthetic.generate(n, seed)
    provenance = {
        "source": "synthetic",
        "tag": f"syn{seed}",
        "generator": synthetic.GENERATOR,
        "generator_version": synthetic.GENERATOR_VERSION,
        "seed": seed,
        "n_projects": n,
        "positive_rate": round(float(data.label.mean()), 4),
    }
    return _train(data.records(), data.label.tolist(), provenance, split_seed=seed)


def train_from_outcomes(
    records: list[dict[str, Any]],
    min_labels: int = 200,
    *,
    provenance: Mapping[str, Any] | None = None,
    split_seed: int = 0,
) -> TrainedModel:
    """Train on real outcomes: each record holds every feature and ``label`` (1 = not delivered within 12 months).

    Records whose funding is unknown are left out (their count is recorded). Raises ``InsufficientLabels`` when
    fewer than ``min_labels`` records remain or either outcome has fewer than ``max(10, min_labels // 20)``
    records, and ``ValueError`` for a record whose features or label are invalid.
    """
    usable: list[FeatureValues] = []
    labels: list[int] = []
    unknown_funding = 0
    for i, record in enumerate(records):
        label = record.get("label")
        if label not in (0, 1) or isinstance(label, bool):
            raise ValueError(f"record {i}: label must be 0 or 1, got {label!r}")
        features = parse_features({name: record[name] for name in FEATURE_NAMES if name in record})
        if features["funding_gap_amount"] is None or features["funding_gap_ratio"] is None:
            unknown_funding += 1
            continue
        usable.append(features)
        labels.append(int(label))
    positives = sum(labels)
    negatives = len(labels) - positives
    min_per_outcome = max(10, min_labels // 20)
    if len(labels) < min_labels or min(positives, negatives) < min_per_outcome:
        raise InsufficientLabels(
            f"training from outcomes needs at least {min_labels} labelled projects with known funding and at "
            f"least {min_per_outcome} of each outcome; got {len(labels)} ({positives} not delivered within 12 "
            f"months, {negatives} delivered in time; {unknown_funding} more left out for unknown funding). "
            "Keep serving the current model until more outcomes are recorded."
        )
    source = {"source": "registry", "tag": "reg", **(provenance or {})}
    source.update({"records": len(records), "labelled_used": len(labels), "left_out_unknown_funding": unknown_funding})
    return _train(usable, labels, source, split_seed=split_seed)


def write_artifacts(trained: TrainedModel, out_dir: Path) -> dict[str, Any]:
    """Write ``risk-model.skops``, ``model_card.json`` and ``MODEL_CARD.md`` into ``out_dir``; return the card.

    Raises ``OSError`` when the directory cannot be written.
    """
    path, sha = save_artifact(trained.spec, out_dir)
    card = build_card(trained, artifact_file=path.name, sha256=sha, size=path.stat().st_size)
    write_card(card, out_dir)
    return card


def main(argv: Sequence[str] | None = None) -> int:
    """The ``train`` command line; returns the process exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m services.risk.model.train", description="Train the risk scorecard and write its card."
    )
    parser.add_argument(
        "--synthetic", action="store_true", required=True, help="train on the seeded synthetic generator"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generator and split seed")
    parser.add_argument("--n", type=int, default=DEFAULT_N_PROJECTS, help="synthetic projects to generate")
    parser.add_argument("--out", type=Path, default=DEFAULT_ARTIFACT_DIR, help="artifact directory")
    args = parser.parse_args(argv)

    trained = train_synthetic(seed=args.seed, n=args.n)
    card = write_artifacts(trained, args.out)
    metrics = card["metrics"]
    print(
        f"{card['version']}: AUC {metrics['auc']}, Brier {metrics['brier']} on {metrics['n']} held-out projects; "
        f"wrote {args.out / card['artifact']['file']} (sha256 {card['artifact']['sha256'][:12]}...)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

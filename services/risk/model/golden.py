"""Golden predictions: a fixed probe set and the exact outputs the shipped model gives for it.

``tests/risk/model/golden.json`` pins the model's behaviour: the shipped artifact and a retrain with the same
seed must reproduce it exactly, and any other model fails until the file is updated on purpose::

    python -m services.risk.model.golden            # check the shipped artifact against the file
    python -m services.risk.model.golden --update   # rewrite the file from the shipped artifact
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from .artifact import DEFAULT_ARTIFACT, load_model
from .features import parse_features
from .scorecard import RiskModel
from .tiers import DEFAULT_THRESHOLDS, decide_tier

GOLDEN_PATH = Path(__file__).resolve().parents[3] / "tests" / "risk" / "model" / "golden.json"


def _probe(
    name: str,
    stall: int,
    lag: float,
    gap: str | None,
    ratio: float | None,
    d30: int,
    d90: int,
    group: int,
    overdue: int,
) -> dict[str, Any]:
    return {
        "name": name,
        "features": {
            "stall_days": stall,
            "progress_lag_pct": lag,
            "funding_gap_amount": gap,
            "funding_gap_ratio": ratio,
            "disputes_30d": d30,
            "disputes_90d": d90,
            "group_incidents_90d": group,
            "overdue_days": overdue,
        },
    }


PROBES: list[dict[str, Any]] = [
    _probe("quiet", 0, 0.0, "0.00", 0.0, 0, 0, 0, 0),
    _probe("quiet, funding unknown", 0, 0.0, None, None, 0, 0, 0, 0),
    _probe("small lag", 0, 2.5, "0.00", 0.0, 0, 0, 0, 0),
    _probe("small gap", 0, 0.0, "40000.00", 0.01, 0, 0, 0, 0),
    _probe("mid gap", 0, 1.0, "25000000.00", 0.25, 0, 1, 0, 0),
    _probe("large gap", 0, 3.0, "180000000.00", 0.62, 0, 1, 0, 0),
    _probe("whole cost unfunded", 0, 0.0, "900000000.00", 1.0, 0, 0, 0, 0),
    _probe("short stall", 14, 1.2, "5000000.00", 0.08, 0, 0, 0, 0),
    _probe("stall 90 days", 90, 9.0, "60000000.00", 0.4, 1, 2, 0, 0),
    _probe("stall 200 days", 200, 22.0, "120000000.00", 0.55, 2, 4, 1, 0),
    _probe("one group incident", 0, 0.5, "1000000.00", 0.05, 1, 1, 1, 0),
    _probe("disputes piling up", 0, 4.0, "8000000.00", 0.12, 4, 7, 0, 0),
    _probe("overdue 100 days", 0, 6.0, "20000000.00", 0.2, 0, 1, 0, 100),
    _probe("overdue 250 days", 30, 12.5, "45000000.00", 0.33, 1, 3, 0, 250),
    _probe("overdue 365 days", 0, 2.0, "0.00", 0.0, 0, 0, 0, 365),
    _probe("far behind plan", 0, 45.0, "30000000.00", 0.3, 0, 0, 0, 0),
    _probe("stalled, funding unknown", 120, 15.0, None, None, 2, 3, 0, 60),
    _probe("worst case", 1500, 100.0, "2000000000.00", 1.0, 12, 30, 8, 420),
    _probe("worst case, funding unknown", 1500, 100.0, None, None, 12, 30, 8, 420),
    _probe("mixed", 45, 7.3, "33000000.00", 0.47, 1, 2, 0, 30),
]


def predict(model: RiskModel, probes: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The model's exact outputs for each probe, as JSON-ready data (tiers with the default thresholds)."""
    results = []
    for probe in probes:
        features = parse_features(probe["features"])
        explanation = model.explain(features)
        decision = decide_tier(explanation.probability, features, DEFAULT_THRESHOLDS)
        results.append(
            {
                "name": probe["name"],
                "features": probe["features"],
                "expected": {
                    "score": explanation.score,
                    "probability": explanation.probability,
                    "points": {c["feature"]: c["points"] for c in explanation.contributions},
                    "reason_codes": [r.code for r in explanation.reason_codes],
                    "funding_unknown": explanation.funding_unknown,
                    "tier": decision.tier.value,
                    "rules_fired": decision.rules_fired,
                },
            }
        )
    return results


def golden_document(model: RiskModel) -> dict[str, Any]:
    """The golden file's content for ``model``."""
    return {
        "model_version": model.version,
        "thresholds_version": DEFAULT_THRESHOLDS.version,
        "probes": predict(model, PROBES),
    }


def mismatches(model: RiskModel, golden: dict[str, Any]) -> list[str]:
    """Differences between ``model``'s outputs and a golden document (empty when they agree exactly)."""
    problems = []
    if golden["model_version"] != model.version:
        problems.append(f"model_version: golden {golden['model_version']}, model {model.version}")
    actual = predict(model, golden["probes"])
    for want, got in zip(golden["probes"], actual, strict=True):
        if want["expected"] != got["expected"]:
            problems.append(f"{want['name']}: golden {want['expected']}, model {got['expected']}")
    return problems


def _json_default(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot serialize {type(value).__name__}")


def main(argv: Sequence[str] | None = None) -> int:
    """Check (default) or ``--update`` the golden file; returns the process exit status."""
    parser = argparse.ArgumentParser(prog="python -m services.risk.model.golden", description=__doc__)
    parser.add_argument("--update", action="store_true", help="rewrite the golden file from the artifact")
    parser.add_argument("--artifact", type=Path, default=DEFAULT_ARTIFACT)
    parser.add_argument("--path", type=Path, default=GOLDEN_PATH)
    args = parser.parse_args(argv)
    model = load_model(args.artifact)
    if args.update:
        document = golden_document(model)
        args.path.write_text(
            json.dumps(document, ensure_ascii=False, indent=2, default=_json_default) + "\n", encoding="utf-8"
        )
        print(f"wrote {len(document['probes'])} probes for {model.version} to {args.path}")
        return 0
    problems = mismatches(model, json.loads(args.path.read_text(encoding="utf-8")))
    for problem in problems:
        print(problem)
    print("golden predictions match" if not problems else f"{len(problems)} golden mismatches")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())

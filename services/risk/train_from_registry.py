"""``python -m services.risk.train_from_registry``: retrain the model on the outcomes recorded in the registry.

Labels come over HTTP from the registry (``POST /v1/risk-facts/query`` with ``all`` and ``with_outcomes``,
under a service token minted from ``HANDOVER_JWT_SECRET``). Features do not: a project's facts today are the
facts *after* its outcome (delivered projects have no stall, their disputes have ended), and the registry knows
nothing of undrawn credit. Each labelled project is instead taken as risk last assessed it with funding known
(before its delivery date, when the outcome has one): the features stored in this service's append-only
assessments. Projects without such an assessment are left out and counted in the model card's training data.

The fit, the evaluation, the artifact and the card are the model package's (``services.risk.model.train``);
with too few labels it refuses, writes nothing and exits with status 2. The new artifact goes to ``--out``;
serve it by pointing ``RISK_MODEL_PATH`` at it (or replacing the shipped one) and restarting.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from services.common.clients import peer_client
from services.common.db import Database
from services.common.peers import PeerContractError, PeerUnavailable
from services.common.peers.registry import RegistryClient, RiskFactsItem
from services.risk.model.artifact import DEFAULT_ARTIFACT_DIR
from services.risk.model.outcomes import outcome_label
from services.risk.model.train import DEFAULT_SEED, InsufficientLabels, train_from_outcomes, write_artifacts
from services.risk.models import Assessment
from services.risk.settings import RiskSettings

_CHUNK = 5_000


async def _labelled(settings: RiskSettings) -> list[RiskFactsItem]:
    """Every project of the registry that has an outcome. Raises PeerUnavailable and PeerContractError."""
    registry = RegistryClient(peer_client(settings.registry_url, settings, timeout=settings.peer_bulk_timeout_seconds))
    try:
        answer = await registry.query_risk_facts(None, with_outcomes=True)
    finally:
        await registry.aclose()
    return [item for item in answer.items if item.outcome is not None]


async def snapshots_before_outcomes(database_url: str, items: Sequence[RiskFactsItem]) -> dict[str, dict[str, Any]]:
    """Per project, the features of its latest assessment with known funding made before its outcome."""
    cutoff = {item.project_id: item.outcome.delivered_on if item.outcome else None for item in items}
    database = Database(database_url)
    chosen: dict[str, dict[str, Any]] = {}
    try:
        async with database.engine.connect() as connection:
            ids = list(cutoff)
            for start in range(0, len(ids), _CHUNK):
                rows = await connection.execute(
                    sa.select(Assessment.project_id, Assessment.facts_as_of, Assessment.features)
                    .where(
                        Assessment.project_id.in_(ids[start : start + _CHUNK]), Assessment.funding_unknown.is_(False)
                    )
                    .order_by(Assessment.project_id, Assessment.number.desc())
                )
                for project_id, as_of, features in rows:
                    until: date | None = cutoff[project_id]
                    if project_id not in chosen and (until is None or as_of < until):
                        chosen[project_id] = features
    finally:
        await database.dispose()
    return chosen


def records(items: Sequence[RiskFactsItem], snapshots: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Training records: a snapshot's features and the outcome's label (unknown funding where none)."""
    out = []
    for item in items:
        outcome = item.outcome.model_dump(mode="json") if item.outcome else None
        label = outcome_label(outcome, item.contract_delivery_date)
        features = snapshots.get(item.project_id) or {"funding_gap_amount": None, "funding_gap_ratio": None}
        out.append({**_current(item), **features, "label": label, "project_id": item.project_id})
    return out


def _current(item: RiskFactsItem) -> dict[str, Any]:
    facts = item.facts
    return {
        "stall_days": facts.stall_days,
        "progress_lag_pct": min(float(facts.progress_lag_pct), 100.0),
        "disputes_30d": facts.disputes_30d,
        "disputes_90d": facts.disputes_90d,
        "group_incidents_90d": facts.group_incidents_90d,
        "overdue_days": facts.overdue_days,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit status (0 trained, 1 registry unusable, 2 too few labels)."""
    parser = argparse.ArgumentParser(
        prog="python -m services.risk.train_from_registry", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--min-labels", type=int, default=200, help="fewest usable outcomes to train from")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the held-out split")
    parser.add_argument("--out", type=Path, default=DEFAULT_ARTIFACT_DIR, help="artifact directory")
    args = parser.parse_args(argv)
    settings = RiskSettings()
    try:
        items = asyncio.run(_labelled(settings))
    except (PeerUnavailable, PeerContractError) as exc:
        print(f"not trained: {exc}", file=sys.stderr)
        return 1
    snapshots = asyncio.run(snapshots_before_outcomes(settings.database_url, items))
    provenance = {
        "registry_url": settings.registry_url,
        "labelled_projects": len(items),
        "features_from": "the latest risk assessment with known funding before each outcome",
        "with_assessment_snapshot": len(snapshots),
    }
    try:
        trained = train_from_outcomes(
            records(items, snapshots), min_labels=args.min_labels, provenance=provenance, split_seed=args.seed
        )
    except InsufficientLabels as exc:
        print(f"not trained: {exc}", file=sys.stderr)
        return 2
    card = write_artifacts(trained, args.out)
    metrics = card["metrics"]
    print(
        f"{card['version']}: AUC {metrics['auc']}, Brier {metrics['brier']} on {metrics['n']} held-out projects; "
        f"wrote {args.out / card['artifact']['file']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Where the time of a whole-portfolio reassessment goes inside risk, phase by phase, with the bulk write path
(``services.common.bulk``) and with the plain executemany path, alternately in one run.

    .venv/bin/python -m bench.portfolio_phases [--projects 50000] [--rounds 2]

The risk app runs in this process on a fresh PostgreSQL database with stand-ins for registry and financing
(synthetic facts, no credit), so the figures are risk's own: building the inputs, scoring, locking the state
rows, the assessment rows, the state updates and the outbox (sequences, events, deliveries). Each round
assesses every project once on an empty database (every tier changes, so every project gets an event and two
deliveries), first on the executemany path, then on the bulk path.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any

from bench.support import REPO, recreate_database
from services.common import bulk
from services.common.db import new_id
from services.common.migrations import upgrade
from services.common.outbox import Outbox
from services.common.peers.financing import FundingPositions
from services.common.peers.scoring_facts import ScoringFacts, ScoringFactsAnswer, ScoringFactsItem
from services.risk.app import MIGRATIONS, create_risk_app
from services.risk.assessments import decisions, repository, service
from services.risk.assessments.schemas import AssessmentTrigger
from services.risk.scoring.engine import ScoringEngine
from services.risk.settings import RiskSettings

AS_OF = date(2026, 11, 29)


def portfolio(projects: int) -> list[ScoringFactsItem]:
    rnd = random.Random(15)
    return [
        ScoringFactsItem(
            project_id=new_id(),
            district=rnd.choice(["110101", "110102", "110105"]),
            status="under_construction",
            contract_delivery_date=date(2027, 6, 30),
            facts=ScoringFacts(
                stall_days=rnd.randint(0, 400),
                progress_lag_pct=Decimal(rnd.randint(0, 60)),
                disputes_30d=rnd.randint(0, 3),
                disputes_90d=rnd.randint(0, 6),
                group_incidents_90d=rnd.randint(0, 2),
                overdue_days=rnd.randint(0, 200),
                remaining_cost=Decimal("100000000.00"),
                own_funds_available=Decimal(f"{rnd.randint(0, 120_000_000)}.00"),
            ),
        )
        for i in range(projects)
    ]


class Registry:
    def __init__(self, items: list[ScoringFactsItem]) -> None:
        self.items = items

    async def query_scoring_facts(self, ids: Sequence[str] | None, chunk_size: int) -> ScoringFactsAnswer:
        return ScoringFactsAnswer(as_of=AS_OF, items=self.items)


class Financing:
    async def query_funding_positions(self, ids: Sequence[str], chunk_size: int) -> FundingPositions:
        return FundingPositions(positions={}, unreadable=set())


PHASES: dict[str, float] = {}


def _timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    if asyncio.iscoroutinefunction(function):

        async def timed_async(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await function(*args, **kwargs)
            finally:
                PHASES[name] = PHASES.get(name, 0.0) + time.perf_counter() - started

        return timed_async

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            PHASES[name] = PHASES.get(name, 0.0) + time.perf_counter() - started

    return timed


def instrument() -> None:
    """Wrap each phase's function with a timer (this process only)."""
    service.project_inputs = _timed("inputs", service.project_inputs)
    ScoringEngine.score_many = _timed("scoring", ScoringEngine.score_many)  # type: ignore[method-assign]
    decisions.assessment_row = _timed("assessment_rows", decisions.assessment_row)
    repository.lock_states = _timed("lock_states", repository.lock_states)
    repository.open_overrides = _timed("open_overrides", repository.open_overrides)
    repository.insert_assessments = _timed("insert_assessments", repository.insert_assessments)
    repository.update_states = _timed("update_states", repository.update_states)
    Outbox.emit_many = _timed("outbox", Outbox.emit_many)  # type: ignore[method-assign]
    service.Assessor._store = _timed("store_total", service.Assessor._store)  # type: ignore[method-assign]


@contextmanager
def plain_path(enabled: bool) -> Iterator[None]:
    """With ``enabled``, the bulk module answers "not PostgreSQL": every write takes the executemany path."""
    original = bulk.is_postgresql
    if enabled:
        bulk.is_postgresql = lambda session: False
    try:
        yield
    finally:
        bulk.is_postgresql = original


async def one_run(items: list[ScoringFactsItem], plain: bool) -> dict[str, float]:
    url = await recreate_database("handover_bench_portfolio_phases")
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    settings = RiskSettings(
        database_url=url, run_workers=False, run_dispatcher=False, registry_url="http://r", financing_url="http://f"
    )
    app = create_risk_app(settings)
    async with app.router.lifespan_context(app):
        assessor = app.state.assessor
        assessor.registry, assessor.financing = Registry(items), Financing()
        PHASES.clear()
        with plain_path(plain):
            started = time.perf_counter()
            result = await assessor.run(None, AssessmentTrigger.request)
            total = time.perf_counter() - started
        assert len(result.items) == result.tier_changes == len(items)
    return {"run": round(total, 2), **{k: round(v, 2) for k, v in PHASES.items()}}


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    items = portfolio(args.projects)
    instrument()
    rounds: list[dict[str, Any]] = []
    for _ in range(args.rounds):
        rounds.append({"executemany": await one_run(items, plain=True), "bulk": await one_run(items, plain=False)})
    best = {path: {k: min(r[path][k] for r in rounds) for k in rounds[0][path]} for path in ("executemany", "bulk")}
    return {"projects": args.projects, "rounds": rounds, "best_of_rounds_seconds": best}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    (REPO / "bench" / "results").mkdir(exist_ok=True)
    report = asyncio.run(measure(args))
    (REPO / "bench" / "results" / "portfolio_phases.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

"""Allocation advice over HTTP: 2,000 candidates, a budget of 5 billion yuan in steps of 1 million.

    .venv/bin/python -m bench.allocation_advice [--rounds 5] [--projects 2000]

The risk service runs as a process; registry and financing are ``bench.advice_peers``, which answer their bulk
endpoints at once, so the time is the advice's own: the two bulk reads, scoring every breakpoint, the exact
solver and the baselines. Aim: under 5 s per answer on this machine, with one call to each peer per answer.
Also reported: the solver alone on the same problem, in process.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import httpx

from bench.support import REPO, free_port, serve
from services.common.auth import Role, issue_token
from services.common.settings import DEV_JWT_SECRET

AIM_SECONDS = 5.0
QUESTION = {"budget": "5000000000.00", "step": "1000000.00", "all": True}


def solver_alone(projects: int) -> tuple[float, int]:
    """Seconds the breakpoints, scoring and solver take in process for the same portfolio; and the candidates."""
    from bench.advice_peers import portfolio
    from services.common.peers.financing import FundingPosition
    from services.common.peers.registry import RiskFactsItem
    from services.risk.advice import plan
    from services.risk.advice.options import Candidate, Edges, score_levels
    from services.risk.assessments.facts import project_inputs
    from services.risk.model import DEFAULT_THRESHOLDS, load_model
    from services.risk.scoring.engine import ScoringEngine

    engine = ScoringEngine(load_model(), DEFAULT_THRESHOLDS)
    facts, positions = portfolio(projects)
    step = Decimal(QUESTION["step"])
    candidates = []
    for raw, position in zip(facts, positions, strict=True):
        item = RiskFactsItem.model_validate(raw)
        inputs = project_inputs(item, FundingPosition.model_validate(position), funding_known=True)
        if inputs.features["funding_gap_amount"] >= step:
            units = (item.sold_units or 0) - (item.delivered_units or 0)
            candidates.append(
                Candidate(item.project_id, item.code, item.district, inputs.features, item.facts.remaining_cost, units)
            )
    started = time.perf_counter()
    levels = score_levels(candidates, step, Edges.of_spec(engine.model.spec), engine.score_many)
    units = [c.undelivered_units for c in candidates]
    plan.optimal(levels, units, plan.Objective.expected_undelivered_units, int(Decimal(QUESTION["budget"]) // step))
    return time.perf_counter() - started, len(candidates)


def measure(args: argparse.Namespace) -> dict[str, object]:
    token = issue_token(secret=DEV_JWT_SECRET, sub="bench", role=Role.city_admin, ttl_seconds=3600)
    headers = {"Authorization": f"Bearer {token}"}
    workdir = Path(tempfile.mkdtemp(prefix="handover-bench-advice-"))
    peers_port, risk_port = free_port(), free_port()
    peers_url = f"http://127.0.0.1:{peers_port}"
    peers_args = [sys.executable, "-m", "uvicorn", "bench.advice_peers:app", "--host", "127.0.0.1"]
    peers_args += ["--port", str(peers_port), "--no-access-log", "--log-level", "warning"]
    env = {
        "RISK_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'risk.db'}",
        "RISK_PORT": str(risk_port),
        "RISK_RUN_DISPATCHER": "false",
        "RISK_RUN_WORKERS": "false",
        "HANDOVER_REGISTRY_URL": peers_url,
        "HANDOVER_FINANCING_URL": peers_url,
        "HANDOVER_LOG_LEVEL": "WARNING",
    }
    timings: list[float] = []
    with (
        serve(peers_args, {"BENCH_ADVICE_PROJECTS": str(args.projects)}, peers_url, "/readyz"),
        serve([sys.executable, "-m", "services.risk"], env, f"http://127.0.0.1:{risk_port}", "/readyz") as risk,
        httpx.Client(base_url=risk, timeout=120) as client,
    ):
        for _ in range(args.rounds):
            started = time.perf_counter()
            response = client.post("/v1/allocation-advice", json=QUESTION, headers=headers)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text[:300]
        answer = response.json()
        calls = httpx.get(f"{peers_url}/calls").json()
    alone, candidates = solver_alone(args.projects)
    median = statistics.median(timings)
    return {
        "projects": args.projects,
        "candidates": answer["candidates"],
        "budget": QUESTION["budget"],
        "step": QUESTION["step"],
        "plan_lines": len(answer["plan"]),
        "allocated": answer["totals"]["allocated"],
        "expected_units_saved": answer["totals"]["expected_units_saved"],
        "baselines": {b["name"]: b["expected_units_saved"] for b in answer["baselines"]},
        "seconds_per_answer": {"median": round(median, 3), "max": round(max(timings), 3)},
        "peer_calls_per_answer": {name: count / args.rounds for name, count in calls.items()},
        "in_process_scoring_and_solver_seconds": round(alone, 3),
        "in_process_candidates": candidates,
        "aim_seconds": AIM_SECONDS,
        "meets_aim": median < AIM_SECONDS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--projects", type=int, default=2000)
    args = parser.parse_args()
    result = measure(args)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    results = REPO / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "allocation_advice.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    if not result["meets_aim"]:
        sys.exit(1)


if __name__ == "__main__":
    main()

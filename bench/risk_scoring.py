"""Risk scoring over HTTP, as ratios to a FastAPI hello-world served the same way in the same run.

    .venv/bin/python -m bench.risk_scoring [--seconds 5]

Single ``POST /v1/score`` (aim: at least 0.25 of hello-world's requests per second) and ``POST
/v1/score/batch`` with 1,000 items and full explanations (aim: at least 0.04, about 400 items scored per
hello-world request).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
from pathlib import Path

import orjson

from bench import loadgen
from bench.support import REPO, free_port, hello_server, serve
from services.common.auth import Role, issue_token
from services.common.settings import DEV_JWT_SECRET


def features(rng: random.Random) -> dict[str, object]:
    remaining = rng.randint(10, 500) * 1_000_000
    gap = rng.randint(0, remaining // 1_000_000) * 1_000_000
    return {
        "stall_days": rng.choice([0, 0, 0, rng.randint(1, 400)]),
        "progress_lag_pct": round(rng.uniform(0, 40), 1),
        "funding_gap_amount": f"{gap}.00",
        "funding_gap_ratio": round(gap / remaining, 4),
        "disputes_30d": rng.randint(0, 3),
        "disputes_90d": rng.randint(0, 8),
        "group_incidents_90d": rng.choice([0, 0, 0, 1]),
        "overdue_days": rng.choice([0, 0, rng.randint(1, 500)]),
    }


async def measure(args: argparse.Namespace) -> dict[str, object]:
    rng = random.Random(5)
    token = issue_token(secret=DEV_JWT_SECRET, sub="bench", role=Role.service, ttl_seconds=3600)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    singles = [orjson.dumps({"features": features(rng)}) for _ in range(200)]
    batches = [orjson.dumps({"items": [{"features": features(rng)} for _ in range(1000)]}) for _ in range(4)]
    workdir = Path(tempfile.mkdtemp(prefix="handover-bench-risk-"))
    port = free_port()
    env = {
        "RISK_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'risk.db'}",
        "RISK_PORT": str(port),
        "RISK_RUN_DISPATCHER": "false",
        "RISK_RUN_WORKERS": "false",
        "HANDOVER_LOG_LEVEL": "WARNING",
    }
    rates: dict[str, list[float]] = {"hello": [], "score": [], "batch_1000": []}
    with (
        hello_server() as hello,
        serve([sys.executable, "-m", "services.risk"], env, f"http://127.0.0.1:{port}", "/readyz") as risk,
    ):
        for _ in range(args.rounds):
            rates["hello"].append((await loadgen.run(hello, ["/hello"], connections=16, seconds=args.seconds)).rate)
            single = await loadgen.run(
                risk,
                ["/v1/score"],
                method="POST",
                headers=headers,
                bodies=singles,
                connections=16,
                seconds=args.seconds,
            )
            assert single.errors == 0, single.statuses
            rates["score"].append(single.rate)
            batch = await loadgen.run(
                risk,
                ["/v1/score/batch"],
                method="POST",
                headers=headers,
                bodies=batches,
                connections=4,
                seconds=args.seconds,
            )
            assert batch.errors == 0, batch.statuses
            rates["batch_1000"].append(batch.rate)
    best = {k: max(v) for k, v in rates.items()}
    return {
        "requests_per_second": {k: round(v, 1) for k, v in best.items()},
        "items_scored_per_second_in_batches": round(best["batch_1000"] * 1000),
        "ratio_to_hello": {k: round(best[k] / best["hello"], 3) for k in ("score", "batch_1000")},
        "aims": {"score": 0.25, "batch_1000": 0.04},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    (REPO / "bench" / "results").mkdir(exist_ok=True)
    report = asyncio.run(measure(args))
    (REPO / "bench" / "results" / "risk_scoring.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

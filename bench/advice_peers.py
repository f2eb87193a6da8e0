"""Registry and financing as the allocation-advice benchmark needs them: their two bulk endpoints, answering a
seeded portfolio at once, and how often each was called (``GET /calls``). Served like the services (uvicorn)."""

from __future__ import annotations

import os
import random
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response

PROJECTS = int(os.environ.get("BENCH_ADVICE_PROJECTS", "2000"))


def portfolio(count: int, seed: int = 18) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(risk-facts items, funding positions) of ``count`` troubled projects with gaps of 10m to 2.5bn yuan."""
    rng = random.Random(seed)
    facts, positions = [], []
    for i in range(count):
        project_id = f"00000000-0000-4000-8000-{i:012d}"
        cost = rng.randint(20, 3000) * 1_000_000
        own = rng.randint(0, cost // 3_000_000) * 1_000_000
        undrawn = rng.randint(0, (cost - own) // 4_000_000) * 1_000_000
        sold = rng.randint(100, 2400)
        facts.append(
            {
                "project_id": project_id,
                "code": f"B-{i:05d}",
                "name": f"项目{i}",
                "district": "990101",
                "status": rng.choice(["under_construction", "stalled"]),
                "contract_delivery_date": "2026-06-30",
                "sold_units": sold,
                "delivered_units": rng.randint(0, sold // 4),
                "facts": {
                    "stall_days": rng.choice([0, 0, rng.randint(1, 400)]),
                    "progress_lag_pct": f"{rng.uniform(0, 40):.1f}",
                    "disputes_30d": rng.randint(0, 3),
                    "disputes_90d": rng.randint(0, 8),
                    "group_incidents_90d": rng.choice([0, 0, 0, 1]),
                    "overdue_days": rng.choice([0, 0, rng.randint(1, 500)]),
                    "remaining_cost": f"{cost}.00",
                    "own_funds_available": f"{own}.00",
                },
                "outcome": None,
            }
        )
        positions.append(
            {
                "project_id": project_id,
                "approved_amount": f"{undrawn}.00",
                "disbursed_amount": "0.00",
                "undrawn_amount": f"{undrawn}.00",
                "credit_lines": 1,
                "unspent_allocations": "0.00",
            }
        )
    return facts, positions


FACTS, POSITIONS = portfolio(PROJECTS)
BY_ID = {p["project_id"]: p for p in POSITIONS}
CALLS = {"risk_facts": 0, "funding_positions": 0}
app = FastAPI()


@app.get("/readyz")
async def ready() -> dict[str, str]:
    return {"status": "pass"}


@app.get("/calls")
async def calls() -> dict[str, int]:
    return CALLS


@app.post("/v1/risk-facts/query")
async def risk_facts(request: Request) -> Response:
    CALLS["risk_facts"] += 1
    body = orjson.loads(await request.body())
    items = FACTS if body.get("all") else [f for f in FACTS if f["project_id"] in set(body["project_ids"])]
    return Response(orjson.dumps({"as_of": "2026-01-15", "items": items}), media_type="application/json")


@app.post("/v1/funding-positions/query")
async def funding_positions(request: Request) -> Response:
    CALLS["funding_positions"] += 1
    body = orjson.loads(await request.body())
    items = [BY_ID[i] for i in body["project_ids"] if i in BY_ID]
    return Response(orjson.dumps({"items": items}), media_type="application/json")

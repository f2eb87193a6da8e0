"""Webhook deliveries per second from one financing dispatcher process to 10 local endpoints, one of them dead.

    .venv/bin/python -m bench.financing_dispatch [--events 3000]

Two runs in one go on PostgreSQL: nine live endpoints plus a dead one (nothing listens on its port), then the
same nine live endpoints alone. Reported: deliveries per second to the live endpoints in each run, the share of
throughput the dead endpoint costs them, and both as ratios to a baseline measured in the same run: the
requests per second the receiver itself takes from a plain load generator.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid

import orjson

from bench import loadgen
from bench.support import REPO, connect, free_port, recreate_database, serve
from services.common import clock
from services.common.migrations import upgrade
from services.financing.app import MIGRATIONS

RECEIVER = """
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

async def hook(request):
    await request.body()
    return Response(b"", status_code=204)

async def up(request):
    return Response(b"up")

app = Starlette(routes=[Route("/hook", hook, methods=["POST"]), Route("/", up)])
"""


async def _prepare(url: str, live: list[str], dead: str | None, events: int) -> list[str]:
    """Endpoints for one bank, then ``events`` outbox events each with one delivery per endpoint."""
    connection = await connect(url)
    now = clock.now()
    secret = "whsec_" + "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
    try:
        await connection.execute(
            "TRUNCATE outbox_attempts, outbox_deliveries, outbox_events, webhook_endpoints CASCADE"
        )
        await connection.execute(
            "INSERT INTO banks (id, code, name, created_at) VALUES ($1, 'BENCH', 'bench', $2) ON CONFLICT DO NOTHING",
            str(uuid.uuid4()),
            now,
        )
        endpoints = []
        for target in [*live, *([dead] if dead else [])]:
            endpoint_id = str(uuid.uuid4())
            endpoints.append((endpoint_id, target))
            await connection.execute(
                "INSERT INTO webhook_endpoints (id, bank, url, event_types, enabled, secret, created_at, updated_at)"
                " VALUES ($1, 'BENCH', $2, $3, true, $4, $5, $5)",
                endpoint_id,
                target,
                json.dumps(["disbursement.recorded"]),
                secret,
                now,
            )
        event_rows, delivery_rows = [], []
        for i in range(events):
            event_id = f"msg_{uuid.uuid4().hex}"
            body = orjson.dumps(
                {
                    "type": "disbursement.recorded",
                    "timestamp": now.isoformat(),
                    "data": {"project_id": str(uuid.uuid4()), "sequence": 1, "n": i},
                }
            ).decode()
            event_rows.append((event_id, "disbursement.recorded", None, None, body, None, now))
            for endpoint_id, target in endpoints:
                delivery_rows.append(
                    (str(uuid.uuid4()), event_id, endpoint_id, target, "pending", 0, now, None, None, now, now)
                )
        await connection.copy_records_to_table(
            "outbox_events",
            records=event_rows,
            columns=["id", "type", "project_id", "sequence", "body", "request_id", "created_at"],
        )
        await connection.copy_records_to_table(
            "outbox_deliveries",
            records=delivery_rows,
            columns=[
                "id",
                "event_id",
                "endpoint_id",
                "url",
                "status",
                "attempts",
                "next_attempt_at",
                "lease_until",
                "last_status_code",
                "created_at",
                "updated_at",
            ],
        )
        return [e for e, target in endpoints if target != dead]
    finally:
        await connection.close()


async def _run(url: str, live: list[str], dead: str | None, events: int) -> float:
    """Start one dispatcher process and time it until every live delivery is delivered."""
    live_ids = await _prepare(url, live, dead, events)
    port = free_port()
    env = {
        "FINANCING_DATABASE_URL": url,
        "FINANCING_PORT": str(port),
        "HANDOVER_WEBHOOK_ALLOW_PRIVATE": "true",
        "HANDOVER_LOG_LEVEL": "WARNING",
        "FINANCING_DISPATCH_BATCH_SIZE": "500",
        "FINANCING_DISPATCH_CONCURRENCY": "64",
    }
    expected = events * len(live_ids)
    connection = await connect(url)
    try:
        started = time.perf_counter()
        with serve(
            [sys.executable, "-m", "services.financing", "--no-migrate", "--dispatcher-only"],
            env,
            f"http://127.0.0.1:{port}",
            "/livez",
        ):
            while True:
                done = await connection.fetchval(
                    "SELECT count(*) FROM outbox_deliveries WHERE status = 'delivered' AND endpoint_id = ANY($1)",
                    live_ids,
                )
                if done >= expected:
                    break
                if time.perf_counter() - started > 300:
                    raise RuntimeError(f"only {done} of {expected} delivered")
                await asyncio.sleep(0.05)
            elapsed = time.perf_counter() - started
    finally:
        await connection.close()
    return expected / elapsed


async def measure(args: argparse.Namespace) -> dict[str, object]:
    url = await recreate_database("handover_bench_dispatch")
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    (REPO / "bench" / "results" / "bench_receiver.py").write_text(RECEIVER)
    receiver_port = free_port()
    receiver_args = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.results.bench_receiver:app",
        "--port",
        str(receiver_port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    base = f"http://127.0.0.1:{receiver_port}"
    live = [f"{base}/hook?endpoint={i}" for i in range(9)]
    dead = f"http://127.0.0.1:{free_port()}/hook"
    with serve(receiver_args, {}, base, "/"):
        baseline = await loadgen.run(base, ["/hook"], method="POST", bodies=[b"{}"], connections=16, seconds=4)
        with_dead = await _run(url, live, dead, args.events)
        without = await _run(url, live, None, args.events)
    return {
        "events": args.events,
        "receiver_requests_per_second": round(baseline.rate, 1),
        "deliveries_per_second": {"nine_live_one_dead": round(with_dead, 1), "nine_live": round(without, 1)},
        "ratio_to_receiver": {
            "nine_live_one_dead": round(with_dead / baseline.rate, 3),
            "nine_live": round(without / baseline.rate, 3),
        },
        "dead_endpoint_cost": round(1 - with_dead / without, 3),
        "aims": {"deliveries_per_second": 1000, "dead_endpoint_cost_below": 0.1},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=3000)
    args = parser.parse_args()
    (REPO / "bench" / "results").mkdir(exist_ok=True)
    report = asyncio.run(measure(args))
    (REPO / "bench" / "results" / "financing_dispatch.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

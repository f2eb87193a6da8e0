"""Registry reads over 100,000 projects on PostgreSQL, as ratios to a FastAPI hello-world served the same way.

    .venv/bin/python -m bench.registry_reads [--projects 100000] [--seconds 5] [--database NAME]

Uses BENCH_DATABASE_URL (or TEST_DATABASE_URL, or the local server) and creates its own database
(``handover_bench_registry`` unless ``--database`` names another, for a shared server).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import uuid
from datetime import timedelta
from decimal import Decimal

from sqlalchemy.engine import make_url

from bench import loadgen
from bench.support import REPO, connect, free_port, hello_server, recreate_database, serve, server_url
from services.common import clock
from services.common.auth import Role, issue_token
from services.common.migrations import upgrade
from services.common.settings import DEV_JWT_SECRET
from services.registry.app import MIGRATIONS
from services.registry.settings import DEMO_DISTRICTS

STATUSES = ["registered", "under_construction", "under_construction", "under_construction", "stalled", "completed"]
TIERS = [None, "green", "green", "yellow", "orange", "red"]


async def seed(url: str, projects: int) -> list[str]:
    """Bulk-load developers and projects with COPY; return the project ids."""
    rng = random.Random(7)
    connection = await connect(url)
    now = clock.now()
    try:
        developers = [(str(uuid.uuid4()), f"开发商{i}", f"91{i:016d}", now) for i in range(1000)]
        await connection.copy_records_to_table(
            "developers", records=developers, columns=["id", "name", "credit_code", "created_at"]
        )
        ids: list[str] = []
        rows = []
        for i in range(projects):
            project_id = str(uuid.uuid4())
            ids.append(project_id)
            status = rng.choice(STATUSES)
            total = rng.randint(100, 3000)
            sold = rng.randint(0, total)
            rows.append(
                (
                    project_id,
                    f"P{i:07d}",
                    f"项目{i}",
                    rng.choice(DEMO_DISTRICTS).code,
                    rng.choice(developers)[0],
                    total,
                    sold,
                    0,
                    clock.today() + timedelta(days=rng.randint(-400, 900)),
                    status,
                    Decimal(rng.randint(0, 1000)) / 10,
                    clock.today() - timedelta(days=rng.randint(1, 300)) if status == "stalled" else None,
                    Decimal(rng.randint(10**7, 10**9)),
                    Decimal(rng.randint(0, 10**8)),
                    "住建局",
                    "负责人",
                    rng.choice(TIERS),
                    None,
                    None,
                    1,
                    now,
                    now,
                )
            )
        await connection.copy_records_to_table(
            "projects",
            records=rows,
            columns=[
                "id",
                "code",
                "name",
                "district",
                "developer_id",
                "total_units",
                "sold_units",
                "delivered_units",
                "contract_delivery_date",
                "status",
                "progress_pct",
                "stall_started_on",
                "remaining_cost",
                "own_funds_available",
                "responsible_unit",
                "responsible_person",
                "risk_tier",
                "risk_tier_sequence",
                "current_plan_id",
                "version",
                "created_at",
                "updated_at",
            ],
        )
        await connection.execute("ANALYZE")
        return ids
    finally:
        await connection.close()


async def measure(args: argparse.Namespace) -> dict[str, object]:
    if args.reuse:
        url = make_url(server_url()).set(database=args.database).render_as_string(hide_password=False)
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        connection = await connect(url)
        ids = [r["id"] for r in await connection.fetch("SELECT id FROM projects")]
        await connection.close()
    else:
        url = await recreate_database(args.database)
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        ids = await seed(url, args.projects)
    token = issue_token(secret=DEV_JWT_SECRET, sub="bench", role=Role.city_admin, ttl_seconds=3600)
    headers = {"Authorization": f"Bearer {token}"}
    sample = random.Random(3).sample(ids, 2000)
    port = free_port()
    registry_env = {
        "REGISTRY_DATABASE_URL": url,
        "REGISTRY_PORT": str(port),
        "REGISTRY_RUN_DISPATCHER": "false",
        "HANDOVER_LOG_LEVEL": "WARNING",
    }
    list_targets = [f"/v1/projects?district={d.code}&status=under_construction&limit=50" for d in DEMO_DISTRICTS]
    rates: dict[str, list[float]] = {"hello": [], "get_by_id": [], "list_page": []}
    with (
        hello_server() as hello,
        serve(
            [sys.executable, "-m", "services.registry", "--no-migrate"],
            registry_env,
            f"http://127.0.0.1:{port}",
            "/readyz",
        ) as registry,
    ):
        for _ in range(args.rounds):
            result = await loadgen.run(hello, ["/hello"], connections=args.connections, seconds=args.seconds)
            rates["hello"].append(result.rate)
            result = await loadgen.run(
                registry,
                [f"/v1/projects/{i}" for i in sample],
                headers=headers,
                connections=args.connections,
                seconds=args.seconds,
            )
            assert result.errors == 0, result.statuses
            rates["get_by_id"].append(result.rate)
            result = await loadgen.run(
                registry, list_targets, headers=headers, connections=args.connections, seconds=args.seconds
            )
            assert result.errors == 0, result.statuses
            rates["list_page"].append(result.rate)
    best = {k: max(v) for k, v in rates.items()}
    return {
        "projects": args.projects,
        "requests_per_second": {k: round(v, 1) for k, v in best.items()},
        "ratio_to_hello": {k: round(best[k] / best["hello"], 3) for k in ("get_by_id", "list_page")},
        "aims": {"get_by_id": 0.35, "list_page": 0.2},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--reuse", action="store_true", help="measure the database seeded by an earlier run")
    parser.add_argument("--database", default="handover_bench_registry", help="the database to create (or reuse)")
    args = parser.parse_args()
    (REPO / "bench" / "results").mkdir(exist_ok=True)
    report = asyncio.run(measure(args))
    (REPO / "bench" / "results" / "registry_reads.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

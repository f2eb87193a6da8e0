"""The demo city's monthly bulletin (``make demo``'s 200 projects, supervision and funds included) as HTML and as
PDF, with real registry, risk and financing processes on PostgreSQL; the ratio is to the month's JSON report (the
numbers the bulletin prints) measured in the same run.

    .venv/bin/python -m bench.bulletin_demo [--repeat 5]

The demo city is loaded by the demo's own loader (``services.demo.run``), so the bulletin has what a newcomer's
``make demo`` shows: risk tiers from risk's events, credit by bank from financing, approvals, findings and
coordination items. ``bench.registry_reports`` measures the same document over 50,000 projects.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time

import httpx

from bench.support import REPO, free_port, recreate_database, serve
from services import demo
from services.common import clock
from services.common.auth import Role, issue_token
from services.common.migrations import upgrade
from services.common.settings import DEV_JWT_SECRET
from services.financing.app import MIGRATIONS as FINANCING_MIGRATIONS
from services.registry.app import MIGRATIONS as REGISTRY_MIGRATIONS
from services.risk.app import MIGRATIONS as RISK_MIGRATIONS

MIGRATIONS = {"registry": REGISTRY_MIGRATIONS, "risk": RISK_MIGRATIONS, "financing": FINANCING_MIGRATIONS}
ANSWERS = {"json": "application/json", "html": "text/html", "pdf": "application/pdf"}


async def measure(args: argparse.Namespace) -> dict[str, object]:
    (REPO / "bench" / "results").mkdir(exist_ok=True)  # the servers' logs go there
    databases = {name: await recreate_database(f"handover_bench_demo_{name}") for name in MIGRATIONS}
    for name, url in databases.items():
        await asyncio.to_thread(upgrade, MIGRATIONS[name], url)
    ports = {name: free_port() for name in MIGRATIONS}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    shared = {f"HANDOVER_{n.upper()}_URL": u for n, u in urls.items()} | {
        "HANDOVER_LOG_LEVEL": "WARNING",
        "HANDOVER_WEBHOOK_ALLOW_PRIVATE": "true",  # the demo's example bank listens on this machine
    }

    def start(name: str) -> object:
        env = {**shared, f"{name.upper()}_DATABASE_URL": databases[name], f"{name.upper()}_PORT": str(ports[name])}
        return serve([sys.executable, "-m", f"services.{name}", "--no-migrate"], env, urls[name], "/readyz")

    token = issue_token(secret=DEV_JWT_SECRET, sub="bench", role=Role.city_admin, ttl_seconds=3600)
    month = clock.today().strftime("%Y-%m")
    seconds: dict[str, list[float]] = {kind: [] for kind in ANSWERS}
    with start("registry"), start("financing"), start("risk"):
        started = time.perf_counter()
        receiver = await demo.run(
            urls["registry"], urls["financing"], seed=7, projects=200, receiver_port=free_port(), risk=None
        )
        loaded = time.perf_counter() - started
        try:
            async with httpx.AsyncClient(timeout=120, headers={"Authorization": f"Bearer {token}"}) as client:
                for _ in range(args.repeat):
                    for kind, accept in ANSWERS.items():  # alternated, so the machine's load falls on all alike
                        started = time.perf_counter()
                        answer = await client.get(
                            f"{urls['registry']}/v1/reports/monthly",
                            params={"month": month},
                            headers={"Accept": accept},
                        )
                        seconds[kind].append(time.perf_counter() - started)
                        assert answer.status_code == 200, answer.text[:300]
                        assert answer.headers["content-type"].startswith(accept), answer.headers["content-type"]
        finally:
            demo.stop(receiver)
    median = {kind: statistics.median(values) for kind, values in seconds.items()}
    return {
        "month": month,
        "demo_loaded_seconds": round(loaded, 1),
        "seconds_median": {kind: round(value, 3) for kind, value in median.items()},
        "seconds_each": {kind: [round(value, 3) for value in values] for kind, values in seconds.items()},
        "baseline_json_seconds": round(median["json"], 3),
        "ratio_to_json": {kind: round(median[kind] / median["json"], 1) for kind in ("html", "pdf")},
        "aim_seconds": {"pdf": 3.0},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    result = asyncio.run(measure(args))
    out = REPO / "bench" / "results" / "bulletin_demo.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

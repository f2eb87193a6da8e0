"""Reassessing a whole portfolio end to end: 50,000 projects, facts and funding over HTTP in bulk, scoring,
storing, events, with real registry, financing and risk processes on PostgreSQL.

    .venv/bin/python -m bench.portfolio [--reuse] [--prefix NAME] [--baseline-tree DIR --rounds N]

Needs the registry database of ``bench.registry_reports`` (50,000 projects with a year of history); it is
seeded first when missing. ``--prefix`` names the bench's own three databases instead (``NAME_registry``,
``NAME_financing``, ``NAME_risk``), for a machine shared with other benchmarks. ``--baseline-tree`` runs the
three services from another tree of the code (``git archive main | tar -x -C DIR``) and this tree alternately,
``--rounds`` times each, on the same databases: on a loaded machine only old and new measured side by side
compare. Aim (issue 15): under 8 s. Reported with a breakdown of where the time goes, and as a
ratio to the time the registry alone takes to answer the facts of all projects (the bulk read every
assessment run starts with).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from bench.registry_reads import seed
from bench.registry_reports import DATABASE as REGISTRY_DATABASE
from bench.registry_reports import seed_history
from bench.support import REPO, connect, free_port, recreate_database, serve, server_url
from services.common.auth import Role, issue_token
from services.common.migrations import upgrade
from services.common.settings import DEV_JWT_SECRET
from services.registry.app import MIGRATIONS as REGISTRY_MIGRATIONS


def _names(prefix: str | None) -> dict[str, str]:
    if prefix is None:
        return {
            "registry": REGISTRY_DATABASE,
            "financing": "handover_bench_portfolio_financing",
            "risk": "handover_bench_portfolio_risk",
        }
    return {service: f"{prefix}_{service}" for service in ("registry", "financing", "risk")}


async def _registry_database(name: str, reuse: bool, projects: int) -> str:
    url = make_url(server_url()).set(database=name).render_as_string(hide_password=False)
    if reuse:
        try:
            connection = await connect(url)
            count = await connection.fetchval("SELECT count(*) FROM projects")
            await connection.close()
            if count >= projects:
                return url
        except Exception:
            pass
    url = await recreate_database(name)
    await asyncio.to_thread(upgrade, REGISTRY_MIGRATIONS, url)
    await seed_history(url, await seed(url, projects))
    return url


async def one_run(args: argparse.Namespace, tree: Path) -> dict[str, object]:
    """One reassessment of every project, with the services' code from ``tree``, on a fresh risk database."""
    names = _names(args.prefix)
    registry_db = await _registry_database(names["registry"], args.reuse, args.projects)
    await asyncio.to_thread(upgrade, REGISTRY_MIGRATIONS, registry_db)
    financing_db = await recreate_database(names["financing"])
    risk_db = await recreate_database(names["risk"])
    # Each tree's own migrations: the old code runs on the schema it was written for.
    for service, variable, url in (
        ("financing", "FINANCING_DATABASE_URL", financing_db),
        ("risk", "RISK_DATABASE_URL", risk_db),
    ):
        command = [sys.executable, "-m", f"services.{service}", "--migrate-only"]
        environment = {**os.environ, variable: url, "HANDOVER_LOG_LEVEL": "WARNING"}
        await asyncio.to_thread(subprocess.run, command, env=environment, cwd=tree, check=True)
    ports = {name: free_port() for name in ("registry", "financing", "risk")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    shared = {f"HANDOVER_{n.upper()}_URL": u for n, u in urls.items()} | {"HANDOVER_LOG_LEVEL": "WARNING"}
    env = {
        "registry": {"REGISTRY_DATABASE_URL": registry_db, "REGISTRY_RUN_DISPATCHER": "false"},
        "financing": {"FINANCING_DATABASE_URL": financing_db, "FINANCING_RUN_DISPATCHER": "false"},
        "risk": {"RISK_DATABASE_URL": risk_db, "RISK_RUN_DISPATCHER": "false", "RISK_RUN_WORKERS": "false"},
    }
    token = issue_token(secret=DEV_JWT_SECRET, sub="bench", role=Role.service, ttl_seconds=3600)
    headers = {"Authorization": f"Bearer {token}"}
    timings: dict[str, float] = {}

    def start(name: str) -> object:
        args_ = [sys.executable, "-m", f"services.{name}", "--no-migrate"]
        variables = {**shared, **env[name], f"{name.upper()}_PORT": str(ports[name])}
        return serve(args_, variables, urls[name], "/readyz", cwd=tree)

    with start("registry"), start("financing"), start("risk"):
        async with httpx.AsyncClient(timeout=600, headers=headers) as client:
            started = time.perf_counter()
            facts = await client.post(f"{urls['registry']}/v1/risk-facts/query", json={"all": True})
            timings["registry_facts_all"] = time.perf_counter() - started
            ids = [item["project_id"] for item in facts.json()["items"]]
            started = time.perf_counter()
            for chunk in range(0, len(ids), 5000):
                await client.post(
                    f"{urls['financing']}/v1/funding-positions/query", json={"project_ids": ids[chunk : chunk + 5000]}
                )
            timings["financing_funding_all"] = time.perf_counter() - started
            started = time.perf_counter()
            run = await client.post(f"{urls['risk']}/v1/assessments", json={"all": True})
            timings["assessment_run"] = time.perf_counter() - started
            assert run.status_code == 200, run.text[:300]
            summary = run.json()
    connection = await connect(risk_db)
    stored = await connection.fetchval("SELECT count(*) FROM assessments")
    events = await connection.fetchval("SELECT count(*) FROM outbox_events")
    await connection.close()
    rest = timings["assessment_run"] - timings["registry_facts_all"] - timings["financing_funding_all"]
    return {
        "code": str(tree),
        "projects": len(ids),
        "assessed": summary["assessed"],
        "assessments_stored": stored,
        "events_written": events,
        "seconds": {k: round(v, 2) for k, v in timings.items()},
        "breakdown_seconds": {
            "facts_from_registry": round(timings["registry_facts_all"], 2),
            "funding_from_financing": round(timings["financing_funding_all"], 2),
            "scoring_storing_and_events": round(rest, 2),
        },
        "ratio_to_registry_facts": round(timings["assessment_run"] / timings["registry_facts_all"], 1),
        "aim_seconds": 8,
    }


async def measure(args: argparse.Namespace) -> dict[str, object]:
    if args.baseline_tree is None:
        return await one_run(args, REPO)
    runs = []
    for _ in range(args.rounds):
        for tree in (args.baseline_tree, REPO):
            runs.append(await one_run(args, tree))
            args.reuse = True  # the registry database seeded (or checked) once is the same for every run
            print(
                json.dumps({"code": str(tree), "seconds": runs[-1]["breakdown_seconds"]}), file=sys.stderr, flush=True
            )
    return {"runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=50_000)
    parser.add_argument("--reuse", action="store_true", help="reuse the registry database if it has the projects")
    parser.add_argument("--prefix", help="name the bench's databases NAME_registry, NAME_financing and NAME_risk")
    parser.add_argument("--baseline-tree", type=Path, help="another tree of the code, run alternately with this one")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each tree with --baseline-tree")
    args = parser.parse_args()
    (REPO / "bench" / "results").mkdir(exist_ok=True)
    report = asyncio.run(measure(args))
    (REPO / "bench" / "results" / "portfolio.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

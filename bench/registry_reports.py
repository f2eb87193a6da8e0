"""The monthly report (月通报) over 50,000 projects with a year of weekly reports each, on PostgreSQL.

    .venv/bin/python -m bench.registry_reports [--projects 50000] [--reuse]

Reported in seconds (aim: under 0.5 s as JSON, issue 15; the bulletin as PDF, under 3 s, issue 14) and as a
ratio to a baseline measured in the same run: one ``SELECT count(*)`` over the weekly reports, the cheapest full
pass over the report's largest table. The bulletin is rendered without financing (its section says so), so only
registry's work is timed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
import uuid
from datetime import timedelta
from decimal import Decimal

import httpx
from sqlalchemy.engine import make_url

from bench.registry_reads import seed
from bench.support import REPO, connect, free_port, recreate_database, serve, server_url
from services.common import clock
from services.common.auth import Role, issue_token
from services.common.days import week_of
from services.common.migrations import upgrade
from services.common.settings import DEV_JWT_SECRET
from services.registry.app import MIGRATIONS

DATABASE = "handover_bench_reports"


async def seed_history(url: str, ids: list[str]) -> None:
    """A year of weekly reports per project, stalls, disputes, plans with milestones and unit deliveries."""
    rng = random.Random(11)
    connection = await connect(url)
    today = clock.today()
    mondays = [today - timedelta(days=today.weekday()) - timedelta(weeks=w) for w in range(52, 0, -1)]
    now = clock.now()
    try:
        batch: list[tuple[object, ...]] = []
        stalls, disputes, plans, milestones, deliveries = [], [], [], [], []
        for project_id in ids:
            progress = Decimal(rng.randint(0, 300)) / 10
            stalled_from = rng.randint(0, 80) if rng.random() < 0.15 else None
            for index, monday in enumerate(mondays):
                working = stalled_from is None or index < stalled_from
                if working:
                    progress = min(Decimal(100), progress + Decimal(rng.randint(0, 20)) / 10)
                batch.append(
                    (
                        str(uuid.uuid4()),
                        project_id,
                        week_of(monday),
                        monday,
                        progress,
                        working,
                        rng.randint(0, 300) if working else 0,
                        None,
                        None,
                        "bench",
                        now,
                    )
                )
            if stalled_from is not None and stalled_from < len(mondays):
                stalls.append((str(uuid.uuid4()), project_id, mondays[stalled_from], None))
            for _ in range(rng.choice([0, 0, 0, 1, 2])):
                opened = today - timedelta(days=rng.randint(1, 360))
                resolved = opened + timedelta(days=rng.randint(1, 60)) if rng.random() < 0.6 else None
                kind = rng.choice(["petition", "complaint", "group_incident"])
                disputes.append(
                    (
                        str(uuid.uuid4()),
                        project_id,
                        kind,
                        opened,
                        resolved if resolved and resolved <= today else None,
                        None,
                        now,
                    )
                )
            if rng.random() < 0.5:
                plan_id = str(uuid.uuid4())
                plans.append((plan_id, project_id, 1, "self_rescue", "复工复产", "区住建局", "bench", now))
                for m in range(3):
                    milestones.append(
                        (
                            str(uuid.uuid4()),
                            plan_id,
                            m,
                            f"节点{m}",
                            today - timedelta(days=200 - 90 * m),
                            Decimal(30 + 25 * m),
                            None,
                        )
                    )
            if rng.random() < 0.3:
                deliveries.append(
                    (str(uuid.uuid4()), project_id, today - timedelta(days=rng.randint(1, 300)), rng.randint(10, 200))
                )
            if len(batch) >= 200_000:
                await _copy_reports(connection, batch)
                batch.clear()
        await _copy_reports(connection, batch)
        await connection.copy_records_to_table(
            "stalls", records=stalls, columns=["id", "project_id", "started_on", "ended_on"]
        )
        await connection.copy_records_to_table(
            "disputes",
            records=disputes,
            columns=["id", "project_id", "kind", "opened_on", "resolved_on", "summary", "created_at"],
        )
        await connection.copy_records_to_table(
            "plans",
            records=plans,
            columns=[
                "id",
                "project_id",
                "version",
                "disposal_path",
                "measures",
                "responsible_party",
                "created_by",
                "created_at",
            ],
        )
        await connection.copy_records_to_table(
            "milestones",
            records=milestones,
            columns=["id", "plan_id", "position", "name", "planned_date", "planned_progress_pct", "actual_date"],
        )
        await connection.execute(
            "UPDATE projects p SET current_plan_id = pl.id FROM plans pl WHERE pl.project_id = p.id"
        )
        await connection.copy_records_to_table(
            "unit_deliveries", records=deliveries, columns=["id", "project_id", "delivered_on", "units"]
        )
        # The reports were copied in around the write paths that note their months (ADR 18): noted here as
        # migration 0009 notes the reports it finds.
        await connection.execute(
            "INSERT INTO report_months (month, project_id)"
            " SELECT DISTINCT to_char(week_start, 'YYYY-MM'), project_id FROM progress_reports"
        )
        # VACUUM as well as ANALYZE: a table just filled by COPY has no visibility map, so until autovacuum passes
        # (on a busy machine, minutes later) every index-only scan of the reports reads the heap too; the figures
        # would then measure when autovacuum last ran (the month's reporters: 1.4 s before it, 0.15 s after).
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


async def seed_supervision(url: str) -> None:
    """What the monthly report's newer sections read, for a tenth of the projects each: approval cases on the
    clock, inspections with a finding (open, late, closed), and coordination items (open, late, resolved)."""
    rng = random.Random(12)
    connection = await connect(url)
    today = clock.today()
    now = clock.now()
    try:
        if await connection.fetchval("SELECT count(*) FROM findings"):
            return
        projects = await connection.fetch("SELECT id, district FROM projects ORDER BY code")
        approvals, inspections, findings, items = [], [], [], []
        for project in projects:
            pid, district = project["id"], project["district"]
            if rng.random() < 0.1:
                received = today - timedelta(days=rng.randint(1, 90))
                decided = received + timedelta(days=rng.randint(5, 30))
                state, decided_on = ("approved", decided) if decided < today else ("accepted", None)
                approvals.append(
                    (
                        str(uuid.uuid4()),
                        pid,
                        district,
                        "construction_permit",
                        "市住建局",
                        "[]",
                        str(uuid.uuid4()),
                        received,
                        15,
                        20,
                        state,
                        decided_on or received,
                        decided_on,
                        decided_on,
                        "bench",
                        now,
                        now,
                    )
                )
            if rng.random() < 0.1:
                inspection = str(uuid.uuid4())
                inspected = today - timedelta(days=rng.randint(1, 90))
                inspections.append((inspection, pid, district, "routine", inspected, '["王强"]', "bench", now))
                closed = inspected + timedelta(days=rng.randint(3, 20))
                state, closed_on = ("closed", closed) if closed < today and rng.random() < 0.6 else ("open", None)
                findings.append(
                    (
                        str(uuid.uuid4()),
                        inspection,
                        pid,
                        district,
                        "routine",
                        rng.choice(["quality", "safety"]),
                        rng.choice(["general", "major", "critical"]),
                        "临边防护缺失",
                        "3号楼",
                        "construction",
                        "rectify",
                        state,
                        inspected,
                        10,
                        inspected,
                        closed_on or inspected,
                        closed_on,
                        1 if closed_on else 0,
                        0,
                        closed_on,
                        closed_on,
                        "bench",
                        now,
                        now,
                    )
                )
            if rng.random() < 0.1:
                raised = today - timedelta(days=rng.randint(1, 90))
                resolved = raised + timedelta(days=rng.randint(3, 30))
                state, resolved_on = (
                    ("resolved", resolved) if resolved < today and rng.random() < 0.5 else ("raised", None)
                )
                items.append(
                    (
                        str(uuid.uuid4()),
                        pid,
                        district,
                        rng.choice(["power", "water", "gas"]),
                        "正式用电接入",
                        rng.choice(["市供电公司", "市水务集团", "市燃气集团"]),
                        raised,
                        10,
                        raised,
                        state,
                        resolved_on or raised,
                        resolved_on,
                        resolved_on,
                        0,
                        "bench",
                        now,
                        now,
                    )
                )
        await connection.copy_records_to_table(
            "approvals",
            records=approvals,
            columns=[
                "id",
                "project_id",
                "district",
                "item",
                "lead_department",
                "co_departments",
                "parallel_group_id",
                "received_on",
                "limit_working_days",
                "statutory_working_days",
                "state",
                "last_moved_on",
                "decided_on",
                "ended_on",
                "created_by",
                "created_at",
                "updated_at",
            ],
        )
        await connection.copy_records_to_table(
            "inspections",
            records=inspections,
            columns=["id", "project_id", "district", "kind", "inspected_on", "inspectors", "created_by", "created_at"],
        )
        await connection.copy_records_to_table(
            "findings",
            records=findings,
            columns=[
                "id",
                "inspection_id",
                "project_id",
                "district",
                "inspection_kind",
                "category",
                "severity",
                "description",
                "location",
                "responsible_party",
                "measure",
                "state",
                "notice_issued_on",
                "deadline_working_days",
                "deadline_from",
                "last_moved_on",
                "replied_on",
                "rechecks",
                "rechecks_failed",
                "first_rechecked_on",
                "closed_on",
                "created_by",
                "created_at",
                "updated_at",
            ],
        )
        await connection.copy_records_to_table(
            "coordination_items",
            records=items,
            columns=[
                "id",
                "project_id",
                "district",
                "topic",
                "description",
                "lead_department",
                "raised_on",
                "deadline_working_days",
                "deadline_from",
                "state",
                "last_moved_on",
                "accepted_on",
                "resolved_on",
                "times_reopened",
                "created_by",
                "created_at",
                "updated_at",
            ],
        )
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


async def _copy_reports(connection: object, rows: list[tuple[object, ...]]) -> None:
    await connection.copy_records_to_table(  # type: ignore[attr-defined]
        "progress_reports",
        records=rows,
        columns=[
            "id",
            "project_id",
            "week",
            "week_start",
            "progress_pct",
            "working",
            "workers_on_site",
            "issues",
            "actions",
            "reported_by",
            "created_at",
        ],
    )


async def measure(args: argparse.Namespace) -> dict[str, object]:
    if args.reuse:
        url = make_url(server_url()).set(database=DATABASE).render_as_string(hide_password=False)
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        # A database seeded before migration 0009 has just had report_months filled: vacuumed, as seeding
        # vacuums, so its index-only scans do not read the heap until autovacuum passes.
        connection = await connect(url)
        try:
            await connection.execute("VACUUM ANALYZE report_months")
        finally:
            await connection.close()
    else:
        url = await recreate_database(DATABASE)
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        started = time.perf_counter()
        ids = await seed(url, args.projects)
        await seed_history(url, ids)
        print(f"seeded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    await seed_supervision(url)
    connection = await connect(url)
    counts = {
        t: await connection.fetchval(f"SELECT count(*) FROM {t}")
        for t in ("projects", "progress_reports", "approvals", "findings", "coordination_items")
    }
    baseline = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        await connection.fetchval("SELECT count(*) FROM progress_reports")
        baseline.append(time.perf_counter() - started)
    await connection.close()
    month = (clock.today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    token = issue_token(secret=DEV_JWT_SECRET, sub="bench", role=Role.city_admin, ttl_seconds=3600)
    port = free_port()
    env = {
        "REGISTRY_DATABASE_URL": url,
        "REGISTRY_PORT": str(port),
        "REGISTRY_RUN_DISPATCHER": "false",
        "HANDOVER_LOG_LEVEL": "WARNING",
        "HANDOVER_FINANCING_URL": f"http://127.0.0.1:{free_port()}",
    }
    timings: dict[str, list[float]] = {
        "monthly_json": [],
        "monthly_csv": [],
        "weekly_json": [],
        "bulletin_html": [],
        "bulletin_pdf": [],
    }
    with serve(
        [sys.executable, "-m", "services.registry", "--no-migrate"], env, f"http://127.0.0.1:{port}", "/readyz"
    ) as base:
        async with httpx.AsyncClient(base_url=base, timeout=60, headers={"Authorization": f"Bearer {token}"}) as client:
            week = week_of(clock.today() - timedelta(days=7))
            requests = {
                "monthly_json": ("/v1/reports/monthly", {"month": month}, "application/json"),
                "monthly_csv": ("/v1/reports/monthly", {"month": month}, "text/csv"),
                "weekly_json": ("/v1/reports/weekly", {"week": week}, "application/json"),
                "bulletin_html": ("/v1/reports/monthly", {"month": month}, "text/html"),
                "bulletin_pdf": ("/v1/reports/monthly", {"month": month}, "application/pdf"),
            }
            for _ in range(args.repeat):
                for name, (path, params, accept) in requests.items():
                    started = time.perf_counter()
                    response = await client.get(path, params=params, headers={"Accept": accept})
                    timings[name].append(time.perf_counter() - started)
                    assert response.status_code == 200, response.text[:300]
    base_seconds = statistics.median(baseline)
    return {
        "rows": counts,
        "month": month,
        "seconds": {k: round(statistics.median(v), 3) for k, v in timings.items()},
        "baseline_count_seconds": round(base_seconds, 3),
        "ratio_to_baseline": {k: round(statistics.median(v) / base_seconds, 1) for k, v in timings.items()},
        "aim_seconds": {"monthly_json": 0.5, "bulletin_pdf": 3.0},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="measure the database seeded by an earlier run")
    args = parser.parse_args()
    (REPO / "bench" / "results").mkdir(exist_ok=True)
    report = asyncio.run(measure(args))
    (REPO / "bench" / "results" / "registry_reports.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

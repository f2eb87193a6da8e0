"""Spreadsheet imports on PostgreSQL: a 5,000-project ledger and a year of weekly sheets for 1,000 projects.

    .venv/bin/python -m bench.imports [--projects 5000] [--weekly-projects 1000] [--weeks 52] [--database NAME]

Each file is an xlsx workbook as a city would send it, imported through a registry process over HTTP
(``dry_run=true``, then for real, then the same file again: nothing to change). Reported in seconds (aim: under
10 each) and as a ratio to a baseline measured in the same run: reading the same workbook in process
(``services.common.spreadsheets.read_sheets``), the part no import can skip.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
from openpyxl import Workbook

from bench.support import REPO, free_port, recreate_database, serve
from services.common import clock
from services.common.auth import Role, issue_token
from services.common.credit_code import check_character
from services.common.days import week_of
from services.common.migrations import upgrade
from services.common.settings import DEV_JWT_SECRET
from services.common.spreadsheets import XLSX, read_sheets
from services.registry.app import MIGRATIONS
from services.registry.imports.sheets import PROJECT_COLUMNS, REPORT_COLUMNS

DATABASE = "handover_bench_imports"
DISTRICTS = ["东湖区", "西山区", "南岸区", "北城区", "高新区", "临江县"]


def _credit_code(n: int) -> str:
    body = f"91990101MA{n:07d}"
    return body + check_character(body)


def _workbook(header: list[str], rows: list[list[Any]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Sheet1")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def ledger(projects: int) -> bytes:
    rows = []
    for n in range(projects):
        rows.append(
            [
                f"BENCH-{n:06d}",
                f"示例花园{n}期",
                DISTRICTS[n % len(DISTRICTS)],
                f"示例置业有限公司{n % 500}",
                _credit_code(n % 500),
                800 + n % 400,
                600,
                0,
                date(2027, 6, 30) + timedelta(days=n % 365),
                "在建",
                Decimal(n % 1000) / 10,
                Decimal(125_000_000 + n),
                "30,000,000.00",
                "住建局",
                "张三",
            ]
        )
    return _workbook([c.name for c in PROJECT_COLUMNS], rows)


def weekly(projects: int, weeks: int) -> bytes:
    this_monday = clock.today() - timedelta(days=clock.today().weekday())
    mondays = [this_monday - timedelta(weeks=w) for w in range(weeks, 0, -1)]
    rows = []
    for n in range(projects):
        for index, monday in enumerate(mondays):
            working = not (n % 7 == 0 and index > weeks - 5)
            rows.append(
                [f"BENCH-{n:06d}", week_of(monday), min(100, 10 + index), "是" if working else "否", 80, None, None]
            )
    return _workbook([c.name for c in REPORT_COLUMNS], rows)


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    url = await recreate_database(args.database)
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    files = {"ledger": ledger(args.projects), "weekly": weekly(args.weekly_projects, args.weeks)}
    baseline = {}
    for name, body in files.items():
        started = time.perf_counter()
        read_sheets(body, XLSX, max_rows=1_000_000)
        baseline[name] = time.perf_counter() - started
    token = issue_token(secret=DEV_JWT_SECRET, sub="bench", role=Role.city_admin, ttl_seconds=3600)
    port = free_port()
    env = {
        "REGISTRY_DATABASE_URL": url,
        "REGISTRY_PORT": str(port),
        "REGISTRY_RUN_DISPATCHER": "false",
        "REGISTRY_RUN_DAILY_JOBS": "false",
        "REGISTRY_IMPORT_MAX_ROWS": "1000000",
        "REGISTRY_IMPORT_MAX_BYTES": str(256 * 1024 * 1024),
        "HANDOVER_LOG_LEVEL": "WARNING",
        "HANDOVER_FINANCING_URL": f"http://127.0.0.1:{free_port()}",
    }
    seconds: dict[str, float] = {}
    answers: dict[str, Any] = {}
    with serve(
        [sys.executable, "-m", "services.registry", "--no-migrate"], env, f"http://127.0.0.1:{port}", "/readyz"
    ) as base:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": XLSX}
        async with httpx.AsyncClient(base_url=base, timeout=600, headers=headers) as client:
            for name, path in (("ledger", "/v1/projects/import"), ("weekly", "/v1/progress-reports/import")):
                for run, dry_run in ((f"{name}_dry_run", "true"), (name, "false"), (f"{name}_again", "false")):
                    started = time.perf_counter()
                    response = await client.post(path, params={"dry_run": dry_run}, content=files[name])
                    seconds[run] = round(time.perf_counter() - started, 2)
                    assert response.status_code == 200, response.text[:500]
                    body = response.json()
                    assert not body["errors"], body["errors"][:3]
                    answers[run] = {k: body[k] for k in ("rows", "created", "updated", "unchanged")}
    return {
        "projects": args.projects,
        "weekly_rows": args.weekly_projects * args.weeks,
        "file_bytes": {k: len(v) for k, v in files.items()},
        "seconds": seconds,
        "answers": answers,
        "baseline_read_seconds": {k: round(v, 2) for k, v in baseline.items()},
        "ratio_to_baseline": {run: round(value / baseline[run.split("_")[0]], 1) for run, value in seconds.items()},
        "aim_seconds": {"ledger": 10.0, "weekly": 10.0},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=5_000)
    parser.add_argument("--weekly-projects", type=int, default=1_000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--database", default=DATABASE, help="the database to create (dropped first if it exists)")
    args = parser.parse_args()
    (REPO / "bench" / "results").mkdir(exist_ok=True)
    report = asyncio.run(measure(args))
    text = json.dumps(report, indent=2, ensure_ascii=False)
    (REPO / "bench" / "results" / "imports.json").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()

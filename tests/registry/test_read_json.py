"""``projects.read_json`` (ADR 20): on PostgreSQL a trigger writes each project's read JSON on every insert and
update, and the fast path sends it as stored. After each kind of write it equals the JSON computed afresh from
the row (the fast path's former ``row_to_json`` statement), and the API answers the same bytes as before.

Every registry test on PostgreSQL also checks this when it ends (``tests/registry/conftest.py``), so the writes
of the stop-work, risk-tier, inspection, progress and import tests are covered too."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url

from services.common.migrations import downgrade, upgrade
from services.registry.app import MIGRATIONS
from services.registry.projects.repository import READ_COLUMNS
from tests.registry.conftest import Registry
from tests.registry.test_imports import ledger_row, send, workbook
from tests.registry.test_task_forces import put, task_force
from tests.support import databases


async def agrees(registry: Registry) -> None:
    assert await registry.read_json_mismatches() == []


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_each_kind_of_write_keeps_the_stored_json(registry: Registry) -> None:
    created = await registry.project(code="RJ-1")
    other = await registry.project(code="RJ-2", name='引号 "和" 反斜杠 \\ 花园')
    await agrees(registry)
    url = f"/v1/projects/{created['id']}"

    patched = await registry.client.patch(
        url, json={"name": "新名字", "remaining_cost": "12345.60", "responsible_unit": None}, headers=registry.admin
    )
    assert patched.status_code == 200, patched.text
    await agrees(registry)
    assert (await registry.client.patch(url, json={"status": "stalled"}, headers=registry.admin)).status_code == 200
    await agrees(registry)
    assert (await put(registry, other["id"], task_force())).status_code in (200, 201)
    await agrees(registry)
    imported = await send(registry, workbook(ledger_row("RJ-3"), ledger_row("RJ-4")))
    assert imported.status_code == 200, imported.text
    await agrees(registry)

    # The API sends the stored text: the read's body is the stored JSON, its ETag the stored version.
    read = await registry.client.get(url, headers=registry.admin)
    [stored] = await registry.rows("SELECT read_json FROM projects WHERE id = :id", id=created["id"])
    assert read.content == stored[0].encode()
    assert read.headers["ETag"] == f'"{read.json()["version"]}"'
    page = await registry.client.get("/v1/projects?limit=50", headers=registry.admin)
    assert {item["code"] for item in page.json()["items"]} == {"RJ-1", "RJ-2", "RJ-3", "RJ-4"}


@pytest.mark.postgres
def test_the_migration_backfills_and_its_downgrade_drops_the_column() -> None:
    url, name = databases.empty_postgres_database()
    try:
        upgrade(MIGRATIONS, url, revision="0009")
        asyncio.run(_seed(url))
        upgrade(MIGRATIONS, url)
        assert asyncio.run(_scalar(url, "SELECT count(*) FROM projects WHERE read_json IS NULL")) == 0
        fresh = asyncio.run(_scalar(url, _FRESH))
        assert asyncio.run(_scalar(url, "SELECT read_json FROM projects")) == fresh
        assert fresh.startswith('{"id":"p1","code":"BF-1","name":"花园",')
        assert '"remaining_cost":"100.00"' in fresh and '"created_at":"2026-11-29T08:00:00.123456Z"' in fresh
        downgrade(MIGRATIONS, url, revision="0009")
        assert asyncio.run(_scalar(url, _HAS_COLUMN)) == 0
        assert asyncio.run(_scalar(url, "SELECT count(*) FROM pg_proc WHERE proname = 'projects_read_json'")) == 0
    finally:
        databases.drop_postgres_database(name)


_HAS_COLUMN = (
    "SELECT count(*) FROM information_schema.columns WHERE table_name = 'projects' AND column_name = 'read_json'"
)


def _fresh_sql() -> str:
    """The fast path's former statement: PostgreSQL writes the JSON of ``READ_COLUMNS`` per read."""
    inner = sa.select(*READ_COLUMNS).compile(dialect=postgresql.dialect())
    return f"SELECT row_to_json(r)::text FROM ({inner}) AS r"


_FRESH = _fresh_sql()


async def _seed(url: str) -> None:
    await _run(
        url,
        "INSERT INTO developers (id, name, credit_code, created_at) VALUES ('d1', '开发商', 'CC1', now())",
        "INSERT INTO projects (id, code, name, district, developer_id, total_units, sold_units, delivered_units, "
        "contract_delivery_date, status, progress_pct, remaining_cost, own_funds_available, stop_work_order, "
        "version, created_at, updated_at) VALUES ('p1', 'BF-1', '花园', '东湖区', 'd1', 10, 5, 0, '2027-01-31', "
        "'under_construction', 12.5, 100.00, 50.00, false, 1, '2026-11-29 08:00:00.123456+00', "
        "'2026-11-29 09:00:00+00')",
    )


async def _scalar(url: str, statement: str) -> Any:
    return await _run(url, statement)


async def _run(url: str, *statements: str) -> Any:
    """Run ``statements`` on their own connection; the last one's first value."""
    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username, database=parsed.database
    )
    try:
        for statement in statements[:-1]:
            await connection.execute(statement)
        return await connection.fetchval(statements[-1])
    finally:
        await connection.close()

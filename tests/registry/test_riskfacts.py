"""``POST /v1/risk-facts/query``: the facts risk scores on, for many projects, in a fixed handful of queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from sqlalchemy import event

from services.common import clock
from services.common.days import week_start
from tests.registry.conftest import Registry
from tests.support import factories
from tests.support.apps import auth
from tests.support.days import week

URL = "/v1/risk-facts/query"


def ago(days: int) -> str:
    """The day ``days`` before the city's today, read when the test runs."""
    return (clock.today() - timedelta(days=days)).isoformat()


@contextmanager
def counting_statements(registry: Registry) -> Iterator[list[str]]:
    """The SQL statements the app runs inside the block."""
    statements: list[str] = []
    engine = registry.app.state.database.engine.sync_engine

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def troubled(registry: Registry) -> dict[str, Any]:
    """A stalled, lagging, overdue project with disputes."""
    today = clock.today()
    project = await registry.project(
        code="R-1", progress_pct="40.0", contract_delivery_date=ago(30), remaining_cost="80000000.50"
    )
    pid = project["id"]
    report = {"week": week(today, -1), "progress_pct": "42.5", "working": False, "workers_on_site": 0}
    assert (
        await registry.client.post(f"/v1/projects/{pid}/progress-reports", json=report, headers=registry.admin)
    ).status_code == 201
    plan = {
        "disposal_path": "self_rescue",
        "measures": "盘活资产",
        "responsible_party": "开发商",
        "milestones": [
            {"name": "主体封顶", "planned_date": ago(60), "planned_progress_pct": "50"},
            {"name": "竣工验收", "planned_date": ago(1), "planned_progress_pct": "55"},
            {"name": "交付", "planned_date": ago(-60), "planned_progress_pct": "100"},
        ],
    }
    assert (await registry.client.put(f"/v1/projects/{pid}/plan", json=plan, headers=registry.admin)).status_code == 200
    for kind, opened in (("petition", 10), ("group_incident", 60), ("complaint", 100)):
        response = await registry.client.post(
            f"/v1/projects/{pid}/disputes", json={"kind": kind, "opened_on": ago(opened)}, headers=registry.admin
        )
        assert response.status_code == 201
    return project


async def test_facts_of_chosen_projects(registry: Registry, today: date) -> None:
    project = await troubled(registry)
    quiet = await registry.project(code="R-2", own_funds_available="1.00")
    response = await registry.client.post(
        URL,
        json={"project_ids": [quiet["id"], project["id"], "00000000-0000-0000-0000-000000000000"]},
        headers=registry.admin,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["as_of"] == today.isoformat()
    assert [i["code"] for i in body["items"]] == ["R-1", "R-2"]
    first, second = body["items"]
    assert first == {
        "project_id": project["id"],
        "code": "R-1",
        "name": project["name"],
        "district": factories.DISTRICT,
        "status": "stalled",
        "contract_delivery_date": ago(30),
        "sold_units": project["sold_units"],
        "delivered_units": project["delivered_units"],
        "facts": {
            "stall_days": (today - week_start(week(today, -1))).days,
            "progress_lag_pct": "12.5",
            "disputes_30d": 1,
            "disputes_90d": 2,
            "group_incidents_90d": 1,
            "overdue_days": 30,
            "remaining_cost": "80000000.50",
            "own_funds_available": "30000000.00",
        },
        "outcome": None,
    }
    assert second["facts"] == {
        "stall_days": 0,
        "progress_lag_pct": "0.0",
        "disputes_30d": 0,
        "disputes_90d": 0,
        "group_incidents_90d": 0,
        "overdue_days": 0,
        "remaining_cost": "125000000.00",
        "own_funds_available": "1.00",
    }


async def test_as_of_moves_the_clock(registry: Registry, today: date) -> None:
    project = await troubled(registry)
    as_of = today - timedelta(days=50)
    body = (
        await registry.client.post(
            URL, json={"project_ids": [project["id"]], "as_of": as_of.isoformat()}, headers=registry.admin
        )
    ).json()
    assert body["as_of"] == as_of.isoformat()
    facts = body["items"][0]["facts"]
    assert facts["stall_days"] == 0
    assert facts["progress_lag_pct"] == "7.5"
    assert (facts["disputes_30d"], facts["disputes_90d"], facts["group_incidents_90d"]) == (1, 2, 1)
    assert facts["overdue_days"] == 0


async def test_all_with_outcomes_and_district_scope(registry: Registry) -> None:
    mine = await registry.project(code="S-1")
    await registry.project(code="S-2", district=factories.OTHER_DISTRICT)
    url = f"/v1/projects/{mine['id']}"
    assert (await registry.client.patch(url, json={"status": "terminated"}, headers=registry.admin)).status_code == 200
    outcome = await registry.client.post(f"{url}/outcome", json={"kind": "terminated"}, headers=registry.admin)
    assert outcome.status_code == 201
    everything = (
        await registry.client.post(URL, json={"all": True, "with_outcomes": True}, headers=registry.admin)
    ).json()
    assert [(i["code"], i["outcome"]) for i in everything["items"]] == [
        ("S-1", {"kind": "terminated", "delivered_on": None}),
        ("S-2", None),
    ]
    assert everything["items"][0]["facts"]["overdue_days"] == 0
    officer = auth("district_officer", district=factories.OTHER_DISTRICT)
    scoped = (await registry.client.post(URL, json={"all": True}, headers=officer)).json()
    assert [i["code"] for i in scoped["items"]] == ["S-2"]
    hidden = (await registry.client.post(URL, json={"project_ids": [mine["id"]]}, headers=officer)).json()
    assert hidden["items"] == []
    for role in ("viewer", "service"):
        response = await registry.client.post(URL, json={"all": True}, headers=auth(role))
        assert response.status_code == 200
        assert len(response.json()["items"]) == 2
    assert (await registry.client.post(URL, json={"all": True}, headers=auth("bank", bank="B01"))).status_code == 403


async def test_query_count_does_not_grow_with_projects(registry: Registry) -> None:
    ids = [(await troubled(registry))["id"]]
    developer = await registry.developer()
    with counting_statements(registry) as one:
        response = await registry.client.post(
            URL, json={"project_ids": ids, "with_outcomes": True}, headers=registry.admin
        )
        assert len(response.json()["items"]) == 1
    for _ in range(6):
        ids.append((await registry.project(developer_id=developer["id"]))["id"])
    with counting_statements(registry) as seven:
        response = await registry.client.post(
            URL, json={"project_ids": ids, "with_outcomes": True}, headers=registry.admin
        )
        assert len(response.json()["items"]) == 7
    selects = [s for s in seven if s.lstrip().upper().startswith("SELECT")]
    assert len(seven) == len(one)
    assert len(selects) == 5


async def test_bad_queries_are_problems(registry: Registry) -> None:
    too_many = [f"{n:036d}" for n in range(10_001)]
    for body in (
        {},
        {"all": False},
        {"all": True, "project_ids": []},
        {"project_ids": too_many},
        {"project_ids": ["x" * 37]},
        {"all": True, "as_of": "2025-13-01"},
        {"all": True, "extra": 1},
        {"all": True, "as_of": 0},
        {"all": 1},
    ):
        response = await registry.client.post(URL, json=body, headers=registry.admin)
        assert response.status_code == 422, (str(body)[:80], response.text[:300])
        assert response.headers["content-type"] == "application/problem+json"
    exactly_max = await registry.client.post(URL, json={"project_ids": too_many[:10_000]}, headers=registry.admin)
    assert exactly_max.status_code == 200
    assert exactly_max.json()["items"] == []

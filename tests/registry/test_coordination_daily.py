"""Coordination items in the registry's daily job (``coordination_item.overdue``, once per item and deadline),
called with an injected day, and on the overdue board."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.registry.coordination.schemas import CoordinationItemOverdue
from tests.registry.approvals_support import added, city_day, counted, events, run_job
from tests.registry.approvals_support import create as create_approval
from tests.registry.approvals_support import move as move_approval
from tests.registry.conftest import Registry
from tests.registry.coordination_support import create, move
from tests.support import factories
from tests.support.apps import auth

RAISED = date(2026, 9, 28)
DUE = date(2026, 10, 16)


async def test_an_open_item_past_its_due_date_is_announced_once_per_deadline(registry: Registry) -> None:
    project = await registry.project()
    with city_day(date(2026, 10, 12)):
        late = await create(registry, project["id"])
        raised_only = await create(registry, project["id"], topic="water", lead_department="市水务集团")
        resolved = await create(registry, project["id"])
        await move(registry, late["id"], "accept", on="2026-09-29")
        await move(registry, resolved["id"], "accept", on="2026-09-29")
        await move(registry, resolved["id"], "resolve", on="2026-10-12", resolution="已接入")
    assert added(RAISED, 10) == DUE
    with city_day(DUE):
        assert (await run_job(registry, DUE)).coordination_overdue == []
    after = date(2026, 10, 19)
    with city_day(after):
        first = await run_job(registry, after)
        again = await run_job(registry, after)
    with city_day(date(2026, 10, 20)):
        later = await run_job(registry, date(2026, 10, 20))
    assert sorted(first.coordination_overdue) == sorted([late["id"], raised_only["id"]])
    assert again.coordination_overdue == later.coordination_overdue == []
    announced = await events(registry, "coordination_item.overdue")
    assert len(announced) == 2
    event = next(e for e in announced if e["coordination_item_id"] == late["id"])
    CoordinationItemOverdue.model_validate(event)
    assert (event["due_on"], event["state"], event["lead_department"], event["topic"]) == (
        DUE.isoformat(),
        "accepted",
        "国网市供电公司",
        "power",
    )
    assert event["working_days_overdue"] == counted(DUE, after) == 1
    assert (event["project_id"], event["district"], event["deadline_from"]) == (
        project["id"],
        factories.DISTRICT,
        "2026-09-28",
    )
    # Resolved, reopened with a new deadline of 2 working days from 20 October: late again after 22 October,
    # and announced again, once.
    with city_day(date(2026, 10, 20)):
        await move(registry, late["id"], "resolve", resolution="已接入")
        await move(registry, late["id"], "reopen", note="仍未通电", deadline_working_days=2)
    with city_day(date(2026, 10, 23)):
        assert (await run_job(registry, date(2026, 10, 22))).coordination_overdue == []
        reopened = await run_job(registry, date(2026, 10, 23))
        assert (await run_job(registry, date(2026, 10, 23))).coordination_overdue == []
    assert reopened.coordination_overdue == [late["id"]]
    last = (await events(registry, "coordination_item.overdue"))[-1]
    assert (last["coordination_item_id"], last["state"], last["due_on"], last["deadline_from"]) == (
        late["id"],
        "reopened",
        "2026-10-22",
        "2026-10-20",
    )


async def test_the_job_keeps_announcing_late_approvals(registry: Registry) -> None:
    project = await registry.project()
    with city_day(date(2026, 10, 12)):
        case = await create_approval(registry, project["id"])
        await move_approval(registry, case["id"], "accept", on="2026-09-29")
        item = await create(registry, project["id"])
    with city_day(date(2026, 10, 26)):
        result = await run_job(registry, date(2026, 10, 26))
        checked = await registry.client.post("/v1/approvals/daily-check", headers=auth())
    assert (result.overdue, result.coordination_overdue) == ([case["id"]], [item["id"]])
    assert checked.status_code == 200, checked.text
    assert (checked.json()["overdue"], checked.json()["coordination_items_overdue"]) == ([], [])


async def _board(registry: Registry, headers: dict[str, str] | None = None, **params: Any) -> list[dict[str, Any]]:
    response = await registry.client.get("/v1/supervision/overdue", params=params, headers=headers or auth())
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_late_items_are_on_the_overdue_board_with_their_department_and_escalation(registry: Registry) -> None:
    project = await registry.project()
    other = await registry.project(district=factories.OTHER_DISTRICT)
    with city_day(date(2026, 10, 12)):
        case = await create_approval(registry, project["id"])
        await move_approval(registry, case["id"], "accept", on="2026-09-29")
        item = await create(registry, project["id"], topic="other", topic_name="临时道路占用", raised_on="2026-09-01")
        await create(registry, project["id"], raised_on="2026-10-12")  # not late by the 26th
        foreign = await create(registry, other["id"], raised_on="2026-09-01")
    with city_day(date(2026, 10, 26)):
        await move(registry, item["id"], "escalate", note="市政府督办")
        everything = await _board(registry)
        coordination = await _board(registry, kind="coordination_item")
        approvals = await _board(registry, kind="approval")
        officer = await _board(registry, auth("district_officer", district=factories.DISTRICT))
        paged = await registry.client.get("/v1/supervision/overdue", params={"limit": 1}, headers=auth())
        wrong_kind = await registry.client.get("/v1/supervision/overdue", params={"kind": "x"}, headers=auth())
    row = next(r for r in everything if r["id"] == item["id"])
    due = added(date(2026, 9, 1), 10)
    assert row == {
        "kind": "coordination_item",
        "id": item["id"],
        "project_id": project["id"],
        "project_code": project["code"],
        "project_name": project["name"],
        "district": factories.DISTRICT,
        "title": "临时道路占用",
        "owner": "国网市供电公司",
        "due_on": due.isoformat(),
        "working_days_overdue": counted(due, date(2026, 10, 26)),
        "days_overdue": (date(2026, 10, 26) - due).days,
        "estimated": False,
        "escalated": True,
    }
    assert [r["working_days_overdue"] for r in everything] == sorted(
        (r["working_days_overdue"] for r in everything), reverse=True
    )
    assert {r["id"] for r in everything} == {case["id"], item["id"], foreign["id"]}
    assert {r["id"] for r in coordination} == {item["id"], foreign["id"]}
    assert [r["id"] for r in approvals] == [case["id"]]
    assert next(r for r in approvals)["escalated"] is False
    assert {r["id"] for r in officer} == {case["id"], item["id"]}
    assert paged.json()["next_cursor"] is not None and len(paged.json()["items"]) == 1
    assert wrong_kind.status_code == 422

"""Inspections and findings through the API: the rectification loop (整改) with every legal and illegal move,
deadlines counted in official working days at a frozen city day, escalation, scope, events and the audit trail.

Due dates are counted here with ``chinese_calendar`` (tests.registry.approvals_support), not with the registry's
counting module.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.registry.inspections.schemas import FindingClosed, FindingOverdue
from services.registry.inspections.status import FROM, FindingAction, FindingState
from tests.registry.approvals_support import added, city_day, counted, events, run_job
from tests.registry.conftest import Registry
from tests.registry.inspections_support import INSPECTED, audit_count, find, inspect, move, read
from tests.support import factories
from tests.support.apps import LazyAuth, auth

DUE = added(INSPECTED, 5)  # 2026-11-09
TODAY = date(2026, 11, 6)

# How to reach each state, dated in order up to TODAY (2026-11-06).
PATHS: dict[FindingState, list[dict[str, Any]]] = {
    FindingState.open: [],
    FindingState.replied: [{"action": "reply", "on": "2026-11-04", "measures_taken": "补设连墙件"}],
    FindingState.reopened: [
        {"action": "reply", "on": "2026-11-04", "measures_taken": "补设连墙件"},
        {"action": "recheck", "on": "2026-11-05", "result": "fail", "deadline_working_days": 3},
    ],
    FindingState.closed: [
        {"action": "reply", "on": "2026-11-04", "measures_taken": "补设连墙件"},
        {"action": "recheck", "on": "2026-11-05", "result": "pass"},
    ],
}

BODIES: dict[FindingAction, dict[str, Any]] = {
    FindingAction.reply: {"measures_taken": "已整改"},
    FindingAction.recheck: {"result": "pass"},
    FindingAction.escalate: {"note": "督办"},
}


async def reach(registry: Registry, project_id: str, state: FindingState, **overrides: Any) -> Any:
    inspection = await inspect(registry, project_id)
    finding = await find(registry, inspection["id"], **overrides)
    for step in PATHS[state]:
        await move(registry, finding["id"], **step)
    found = await read(registry, finding["id"])
    assert found["state"] == state.value
    return found


async def test_an_inspection_records_findings_whose_deadline_counts_in_working_days(registry: Registry) -> None:
    project = await registry.project()
    with city_day(TODAY):
        inspection = await inspect(registry, project["id"], kind="unannounced", inspectors=["王强", "刘洋"])
        finding = await find(registry, inspection["id"])
        later = await find(registry, inspection["id"], notice_issued_on="2026-11-04", deadline_working_days=2)
        again = await registry.client.get(f"/v1/inspections/{inspection['id']}", headers=auth())
        listed = await registry.client.get(f"/v1/projects/{project['id']}/inspections", headers=auth())
    assert (inspection["kind"], inspection["inspectors"], inspection["findings"]) == (
        "unannounced",
        ["王强", "刘洋"],
        [],
    )
    assert finding["state"] == "open"
    assert finding["notice_issued_on"] == finding["deadline_from"] == INSPECTED.isoformat()
    assert finding["due_on"] == DUE.isoformat() == "2026-11-09"
    assert (finding["overdue"], finding["working_days_overdue"], finding["estimated"]) == (False, 0, False)
    assert later["due_on"] == added(date(2026, 11, 4), 2).isoformat() == "2026-11-06"
    assert {f["id"] for f in again.json()["findings"]} == {finding["id"], later["id"]}
    assert [i["id"] for i in listed.json()["items"]] == [inspection["id"]]
    assert await audit_count(registry, inspection["id"]) == 1
    assert await audit_count(registry, finding["id"]) == 1


async def test_the_rectification_loop_reopens_with_a_new_deadline_and_closes_on_a_passed_recheck(
    registry: Registry,
) -> None:
    project = await registry.project()
    with city_day(date(2026, 11, 20)):
        inspection = await inspect(registry, project["id"])
        finding = await find(registry, inspection["id"])
        replied = await move(
            registry, finding["id"], "reply", on="2026-11-06", measures_taken="补设连墙件", replied_by="项目经理 陈刚"
        )
        reopened = await move(
            registry, finding["id"], "recheck", on="2026-11-10", result="fail", deadline_working_days=3
        )
        late = await read(registry, finding["id"])
        again = await move(registry, finding["id"], "reply", on="2026-11-18", measures_taken="全部补设")
        closed = await move(registry, finding["id"], "recheck", on="2026-11-19", result="pass")
    assert (replied["state"], replied["replied_by"], replied["overdue"]) == ("replied", "项目经理 陈刚", False)
    assert (reopened["state"], reopened["deadline_from"], reopened["deadline_working_days"]) == (
        "reopened",
        "2026-11-10",
        3,
    )
    new_due = added(date(2026, 11, 10), 3)
    assert reopened["due_on"] == new_due.isoformat() == "2026-11-13"
    # On the 20th the reopened finding is late by the working days after its new due date.
    assert (late["overdue"], late["working_days_overdue"]) == (True, counted(new_due, date(2026, 11, 20)))
    assert again["state"] == "replied" and again["overdue"] is False
    assert (closed["state"], closed["closed_on"], closed["rechecks"], closed["rechecks_failed"]) == (
        "closed",
        "2026-11-19",
        2,
        1,
    )
    [event] = await events(registry, "finding.closed")
    FindingClosed.model_validate(event)
    assert (event["finding_id"], event["closed_on"], event["on_time"], event["rechecks_failed"]) == (
        finding["id"],
        "2026-11-19",
        False,
        1,
    )
    rows = await registry.rows(
        "SELECT action FROM audit_log WHERE entity = 'finding' AND entity_id = :id ORDER BY at", id=finding["id"]
    )
    assert [r.action for r in rows] == ["create", "reply", "recheck", "reply", "recheck"]


# Every (state, action) pair the state machine refuses; escalate stays in every state, as it is refused where it
# is legal too unless the finding is late, which none of these is.
ILLEGAL = [
    (state, action)
    for action in FindingAction
    for state in FindingState
    if state not in FROM[action] or action is FindingAction.escalate
]


@pytest.mark.parametrize(("state", "action"), ILLEGAL)
async def test_every_illegal_move_answers_409_and_changes_nothing(
    registry: Registry, state: FindingState, action: FindingAction
) -> None:
    project = await registry.project()
    with city_day(TODAY):
        finding = await reach(registry, project["id"], state)
        audits = await audit_count(registry, finding["id"])
        refused = await move(registry, finding["id"], action.value, status=409, **BODIES[action])
        after = await read(registry, finding["id"])
    # Escalating a finding not yet late is refused too: TODAY is before every due date here.
    assert refused["type"] == "urn:handover:problem:illegal-transition"
    assert after == finding
    assert await audit_count(registry, finding["id"]) == audits
    closed = await events(registry, "finding.closed")
    assert len(closed) == (1 if state is FindingState.closed else 0)


async def test_escalation_is_for_a_late_finding_once_and_marks_it_on_the_board(registry: Registry) -> None:
    project = await registry.project(name="滨江花园")
    with city_day(date(2026, 11, 12)):
        inspection = await inspect(registry, project["id"])
        finding = await find(registry, inspection["id"], responsible_party="supervision")
        missing = await move(registry, finding["id"], "escalate", status=422)
        on_due = await move(registry, finding["id"], "escalate", status=422, note="督办", on=DUE.isoformat())
        escalated = await move(registry, finding["id"], "escalate", note="逾期未整改，提请督办")
        twice = await move(registry, finding["id"], "escalate", status=409, note="再次督办")
        board = await registry.client.get("/v1/supervision/overdue?kind=finding", headers=auth())
        approvals_only = await registry.client.get("/v1/supervision/overdue?kind=approval", headers=auth())
    assert missing["status"] == 422
    assert on_due["errors"][0]["pointer"] == "#/body/on"
    assert (escalated["state"], escalated["escalated"], escalated["escalated_on"]) == ("open", True, "2026-11-12")
    assert escalated["escalation_note"] == "逾期未整改，提请督办"
    assert "once" in twice["detail"]
    [row] = board.json()["items"]
    assert row == {
        "kind": "finding",
        "id": finding["id"],
        "project_id": project["id"],
        "project_code": project["code"],
        "project_name": "滨江花园",
        "district": factories.DISTRICT,
        "title": "3号楼外脚手架连墙件缺失",
        "owner": "监理单位 (supervision)",
        "due_on": DUE.isoformat(),
        "working_days_overdue": counted(DUE, date(2026, 11, 12)),
        "days_overdue": 3,
        "estimated": False,
        "escalated": True,
    }
    assert approvals_only.json()["items"] == []


async def test_a_replied_finding_is_not_late_and_cannot_be_escalated(registry: Registry) -> None:
    project = await registry.project()
    with city_day(date(2026, 11, 16)):
        finding = await reach(registry, project["id"], FindingState.replied)
        refused = await move(registry, finding["id"], "escalate", status=409, note="督办")
        board = await registry.client.get("/v1/supervision/overdue", headers=auth())
    assert finding["overdue"] is False and "allowed from" in refused["detail"]
    assert board.json()["items"] == []


async def test_the_daily_job_announces_a_late_finding_once_per_deadline(registry: Registry) -> None:
    project = await registry.project()
    with city_day(date(2026, 11, 9)):
        inspection = await inspect(registry, project["id"])
        finding = await find(registry, inspection["id"])
        on_due = await run_job(registry, date(2026, 11, 9))
    first = await run_job(registry, date(2026, 11, 10))
    second = await run_job(registry, date(2026, 11, 11))
    assert (on_due.findings_overdue, first.findings_overdue, second.findings_overdue) == ([], [finding["id"]], [])
    [event] = await events(registry, "finding.overdue")
    FindingOverdue.model_validate(event)
    assert (event["finding_id"], event["due_on"], event["working_days_overdue"], event["state"]) == (
        finding["id"],
        "2026-11-09",
        1,
        "open",
    )
    with city_day(date(2026, 11, 12)):
        await move(registry, finding["id"], "reply", measures_taken="已整改")
        await move(registry, finding["id"], "recheck", result="fail", deadline_working_days=1)
    assert (await run_job(registry, date(2026, 11, 13))).findings_overdue == []
    assert (await run_job(registry, date(2026, 11, 16))).findings_overdue == [finding["id"]]
    assert len(await events(registry, "finding.overdue")) == 2


async def test_days_in_the_future_or_out_of_order_are_refused(registry: Registry) -> None:
    project = await registry.project()
    with city_day(TODAY):
        future = await inspect(registry, project["id"], status=422, inspected_on="2026-11-07")
        inspection = await inspect(registry, project["id"])
        early = await find(registry, inspection["id"], status=422, notice_issued_on="2026-11-01")
        late_notice = await find(registry, inspection["id"], status=422, notice_issued_on="2026-11-07")
        finding = await find(registry, inspection["id"])
        tomorrow = await move(registry, finding["id"], "reply", status=422, on="2026-11-07", measures_taken="x")
        await move(registry, finding["id"], "reply", on="2026-11-04", measures_taken="x")
        backwards = await move(registry, finding["id"], "recheck", status=422, on="2026-11-03", result="pass")
        no_result = await move(registry, finding["id"], "recheck", status=422)
        no_deadline = await move(registry, finding["id"], "recheck", status=422, result="fail")
        no_measures = await reach(registry, project["id"], FindingState.open)
        unanswered = await move(registry, no_measures["id"], "reply", status=422)
    for problem in (future, early, late_notice, tomorrow, backwards, no_result, no_deadline, unanswered):
        assert problem["status"] == 422
    assert (await read(registry, finding["id"]))["state"] == "replied"
    assert await registry.count("inspections") == 2


async def test_a_district_officer_works_in_its_district_only(registry: Registry) -> None:
    ours = await registry.project()
    theirs = await registry.project(district=factories.OTHER_DISTRICT)
    officer = LazyAuth("district_officer", district=factories.DISTRICT)
    viewer = LazyAuth("viewer")
    with city_day(TODAY):
        mine = await inspect(registry, ours["id"], headers=officer)
        my_finding = await find(registry, mine["id"], headers=officer)
        other = await inspect(registry, theirs["id"])
        other_finding = await find(registry, other["id"])
        await inspect(registry, theirs["id"], headers=officer, status=404)
        await find(registry, other["id"], headers=officer, status=404)
        await move(registry, other_finding["id"], "reply", status=404, headers=officer, measures_taken="x")
        await move(registry, my_finding["id"], "reply", headers=officer, measures_taken="x")
        await inspect(registry, ours["id"], headers=viewer, status=403)
        await inspect(registry, ours["id"], headers=LazyAuth("bank", bank="ICBC"), status=403)
        client = registry.client
        hidden = [
            await client.get(f"/v1/inspections/{other['id']}", headers=officer),
            await client.get(f"/v1/findings/{other_finding['id']}", headers=officer),
            await client.get(f"/v1/projects/{theirs['id']}/inspections", headers=officer),
        ]
        listed = await client.get("/v1/findings", headers=officer)
        asked_other = await client.get(f"/v1/findings?district={factories.OTHER_DISTRICT}", headers=officer)
        everything = await client.get("/v1/findings", headers=viewer)
    assert [r.status_code for r in hidden] == [404, 404, 404]
    assert [f["id"] for f in listed.json()["items"]] == [my_finding["id"]]
    assert asked_other.json()["items"] == []
    assert {f["id"] for f in everything.json()["items"]} == {my_finding["id"], other_finding["id"]}
    assert (await read(registry, other_finding["id"]))["state"] == "open"


async def test_the_finding_list_filters_by_state_severity_district_and_lateness(registry: Registry) -> None:
    ours = await registry.project()
    theirs = await registry.project(district=factories.OTHER_DISTRICT)
    with city_day(date(2026, 11, 12)):
        late = await reach(registry, ours["id"], FindingState.open, severity="critical")
        replied = await reach(registry, ours["id"], FindingState.replied)
        recent = await find(registry, (await inspect(registry, ours["id"], inspected_on="2026-11-11"))["id"])
        elsewhere = await reach(registry, theirs["id"], FindingState.closed)

        async def ids(query: str) -> list[str]:
            response = await registry.client.get(f"/v1/findings?{query}", headers=auth())
            assert response.status_code == 200, response.text
            return [f["id"] for f in response.json()["items"]]

        assert await ids("overdue=true") == [late["id"]]
        # The clock is stopped, so every row shares its created_at and the list falls back on the id.
        assert await ids("overdue=false") == sorted([elsewhere["id"], recent["id"], replied["id"]], reverse=True)
        assert await ids("state=replied") == [replied["id"]]
        assert await ids("severity=critical") == [late["id"]]
        assert await ids(f"district={factories.OTHER_DISTRICT}") == [elsewhere["id"]]
        assert await ids("state=closed&overdue=true") == []
        first = await registry.client.get("/v1/findings?limit=2&overdue=false", headers=auth())
        rest = await registry.client.get(
            f"/v1/findings?limit=2&overdue=false&cursor={first.json()['next_cursor']}", headers=auth()
        )
    assert [f["id"] for f in first.json()["items"] + rest.json()["items"]] == sorted(
        [elsewhere["id"], recent["id"], replied["id"]], reverse=True
    )

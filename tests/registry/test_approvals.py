"""Approval cases through the API: the clock counted in official working days, every transition of the state
machine (and every illegal one refused), 容缺 materials, parallel groups, scope and the audit trail.

Expected figures are counted here with ``chinese_calendar`` (the package the shipped years are built from),
not with the registry's counting module.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from services.registry.approvals.status import FROM, ApprovalAction, ApprovalState
from services.registry.models import AuditEntry
from services.registry.settings import RegistrySettings
from tests.registry.approvals_support import (
    RECEIVED,
    TODAY,
    added,
    audit_actions,
    city_day,
    counted,
    create,
    events,
    move,
    read,
    run_job,
)
from tests.registry.conftest import Registry
from tests.support import factories
from tests.support.apps import auth

TOLERANCE = {
    "missing": [{"name": "施工图审查合格书", "due_on": "2026-10-09"}],
    "commitment": {"signer": "张伟", "signed_on": "2026-09-28"},
}

# How to reach each state from a fresh case with one material owed (due 2026-10-09), dated in order up to TODAY.
PATHS: dict[ApprovalState, list[dict[str, Any]]] = {
    ApprovalState.received: [],
    ApprovalState.accepted: [{"action": "accept", "on": "2026-09-29"}],
    ApprovalState.paused: [
        {"action": "accept", "on": "2026-09-29"},
        {"action": "pause", "on": "2026-10-08", "reason": "correction"},
    ],
    ApprovalState.approved: [
        {"action": "accept", "on": "2026-09-29"},
        {"action": "supplement", "on": "2026-10-08", "material": "施工图审查合格书"},
        {"action": "approve", "on": "2026-10-09"},
    ],
    ApprovalState.approved_with_tolerance: [
        {"action": "accept", "on": "2026-09-29"},
        {"action": "approve_with_tolerance", "on": "2026-10-08"},
    ],
    ApprovalState.refused: [
        {"action": "accept", "on": "2026-09-29"},
        {"action": "refuse", "on": "2026-10-08", "reason": "规划条件不符"},
    ],
    ApprovalState.closed: [
        {"action": "accept", "on": "2026-09-29"},
        {"action": "approve_with_tolerance", "on": "2026-10-08"},
        {"action": "supplement", "on": "2026-10-09", "material": "施工图审查合格书"},
    ],
    ApprovalState.suspended: [
        {"action": "accept", "on": "2026-09-29"},
        {"action": "approve_with_tolerance", "on": "2026-10-08"},
    ],
    ApprovalState.revoked: [
        {"action": "accept", "on": "2026-09-29"},
        {"action": "approve_with_tolerance", "on": "2026-10-08"},
        {"action": "revoke", "on": "2026-10-12", "reason": "逾期未补齐材料"},
    ],
    ApprovalState.withdrawn: [{"action": "withdraw", "on": "2026-09-30"}],
}

BODIES: dict[ApprovalAction, dict[str, Any]] = {
    ApprovalAction.pause: {"reason": "correction"},
    ApprovalAction.refuse: {"reason": "不符合条件"},
    ApprovalAction.revoke: {"reason": "逾期"},
    ApprovalAction.supplement: {"material": "施工图审查合格书"},
}


async def reach(registry: Registry, project_id: str, state: ApprovalState) -> Any:
    case = await create(registry, project_id, tolerance=TOLERANCE)
    for step in PATHS[state]:
        if step["action"] == "revoke":
            await run_job(registry, TODAY)
        await move(registry, case["id"], **step)
    if state is ApprovalState.suspended:
        await run_job(registry, TODAY)
    found = await read(registry, case["id"])
    assert found["state"] == state.value
    return found


async def test_a_case_is_counted_in_official_working_days(registry: Registry) -> None:
    project = await registry.project()
    with city_day(TODAY):
        case = await create(registry, project["id"])
    assert (case["state"], case["limit_working_days"], case["statutory_working_days"]) == ("received", 15, 20)
    # National Day (1 to 7 October) is off and Saturday 10 October is worked: 15 working days end on the 23rd.
    assert case["due_on"] == added(RECEIVED, 15).isoformat() == "2026-10-23"
    assert case["working_days_used"] == counted(RECEIVED, TODAY) == 6
    assert (case["clock"], case["within_limit"], case["estimated"]) == ("on_track", None, False)
    assert case["parallel_group"] == {"id": case["id"], "members": 1, "due_on": "2026-10-23", "clock": "on_track"}
    # Three working days before the due date it is due soon; the day after, overdue.
    with city_day(date(2026, 10, 20)):
        assert (await read(registry, case["id"]))["clock"] == "due_soon"
    with city_day(date(2026, 10, 19)):
        assert (await read(registry, case["id"]))["clock"] == "on_track"
    with city_day(date(2026, 10, 24)):
        late = await read(registry, case["id"])
    assert (late["clock"], late["working_days_used"]) == ("overdue", 15)
    with city_day(date(2026, 10, 26)):
        assert (await read(registry, case["id"]))["working_days_used"] == counted(RECEIVED, date(2026, 10, 26)) == 16


async def test_a_pause_stops_the_clock_and_moves_the_due_date(registry: Registry) -> None:
    project = await registry.project()
    with city_day(date(2026, 10, 20)):
        case = await create(registry, project["id"])
        await move(registry, case["id"], "accept", on="2026-09-29")
        paused = await move(registry, case["id"], "pause", on="2026-10-12", reason="special_procedure", note="专家评审")
        # Paused since the 12th: the 13th to the 20th (six working days) do not count, and push the due date.
        assert paused["state"] == "paused"
        assert paused["pauses"] == [{"reason": "special_procedure", "began_on": "2026-10-12", "ended_on": None}]
        stopped = await read(registry, case["id"])
        assert stopped["working_days_used"] == counted(RECEIVED, date(2026, 10, 12)) == 6
        assert stopped["due_on"] == added(date(2026, 10, 23), 6).isoformat() == "2026-11-02"
        resumed = await move(registry, case["id"], "resume", on="2026-10-16")
    paused_days = counted(date(2026, 10, 12), date(2026, 10, 16))
    assert resumed["state"] == "accepted"
    assert resumed["due_on"] == added(date(2026, 10, 23), paused_days).isoformat() == "2026-10-29"
    assert resumed["working_days_used"] == counted(RECEIVED, date(2026, 10, 20)) - paused_days == 8


async def test_a_decision_stops_the_clock_and_is_announced(registry: Registry) -> None:
    project = await registry.project()
    with city_day(date(2026, 11, 2)):
        case = await create(registry, project["id"])
        await move(registry, case["id"], "accept", on="2026-09-29")
        decided = await move(registry, case["id"], "approve", on="2026-10-27")
        assert (decided["state"], decided["decided_on"], decided["clock"]) == ("approved", "2026-10-27", None)
        assert decided["working_days_used"] == counted(RECEIVED, date(2026, 10, 27)) == 17
        assert decided["within_limit"] is False
    [event] = await events(registry, "approval.decided")
    assert event["approval_id"] == case["id"]
    assert (event["state"], event["decided_on"], event["within_limit"], event["working_days_used"]) == (
        "approved",
        "2026-10-27",
        False,
        17,
    )
    assert (event["due_on"], event["district"], event["item"]) == (
        "2026-10-23",
        factories.DISTRICT,
        "construction_permit",
    )


@pytest.mark.parametrize("state", list(ApprovalState))
async def test_every_illegal_move_is_refused_and_changes_nothing(registry: Registry, state: ApprovalState) -> None:
    project = await registry.project()
    with city_day(TODAY):
        case = await reach(registry, project["id"], state)
        audited = await registry.count("audit_log")
        for action in ApprovalAction:
            if state in FROM[action]:
                continue
            refused = await move(registry, case["id"], action.value, 409, on="2026-10-12", **BODIES.get(action, {}))
            assert refused["type"] == "urn:handover:problem:illegal-transition"
            assert state.value in refused["detail"]
        assert await read(registry, case["id"]) == case
        assert await registry.count("audit_log") == audited


async def test_every_legal_move_is_audited_with_who_and_when(registry: Registry) -> None:
    project = await registry.project()
    with city_day(TODAY):
        case = await reach(registry, project["id"], ApprovalState.revoked)
    assert await audit_actions(registry, case["id"]) == sorted(
        [
            ("create", "tester"),
            ("accept", "tester"),
            ("approve_with_tolerance", "tester"),
            ("suspend", "registry:daily-job"),
            ("revoke", "tester"),
        ]
    )
    [at] = await registry.rows("SELECT DISTINCT at FROM audit_log WHERE entity_id = :id", id=case["id"])
    assert str(at.at)[:16] == "2026-10-12 04:00"
    [entry] = await registry.rows(
        sa.select(AuditEntry.before, AuditEntry.after).where(
            AuditEntry.entity_id == case["id"], AuditEntry.action == "revoke"
        )
    )
    assert (entry.before["state"], entry.after["state"], entry.after["reason"]) == (
        "suspended",
        "revoked",
        "逾期未补齐材料",
    )
    assert case["ended_on"] == "2026-10-12"


async def test_tolerance_closes_when_everything_owed_is_supplied(registry: Registry) -> None:
    project = await registry.project()
    tolerance = {
        "missing": [{"name": "消防设计审查意见", "due_on": "2026-10-16"}, {"name": "监理合同", "due_on": "2026-10-20"}],
        "commitment": {"signer": "张伟", "signed_on": "2026-09-28"},
    }
    with city_day(TODAY):
        case = await create(registry, project["id"], tolerance=tolerance)
        await move(registry, case["id"], "accept", on="2026-09-29")
        owed = await move(registry, case["id"], "approve", 409, on="2026-10-09")
        assert "2 material(s) are still owed" in owed["detail"]
        decided = await move(registry, case["id"], "approve_with_tolerance", on="2026-10-09")
        assert decided["state"] == "approved_with_tolerance"
        one = await move(registry, case["id"], "supplement", on="2026-10-12", material="监理合同")
        assert one["state"] == "approved_with_tolerance"
        twice = await move(registry, case["id"], "supplement", 409, on="2026-10-12", material="监理合同")
        assert "supplied on 2026-10-12" in twice["detail"]
        unknown = await move(registry, case["id"], "supplement", 422, on="2026-10-12", material="不存在的材料")
        assert unknown["errors"][0]["pointer"] == "#/body/material"
        closed = await move(registry, case["id"], "supplement", on="2026-10-12", material="消防设计审查意见")
    assert (closed["state"], closed["ended_on"], closed["decided_on"]) == ("closed", "2026-10-12", "2026-10-09")
    assert [m["supplied_on"] for m in closed["tolerance"]["missing"]] == ["2026-10-12", "2026-10-12"]
    assert closed["tolerance"]["commitment"] == {"signer": "张伟", "signed_on": "2026-09-28"}
    [decided_event] = await events(registry, "approval.decided")
    assert decided_event["state"] == "approved_with_tolerance"


async def test_a_suspended_case_resumes_only_once_nothing_owed_is_overdue(registry: Registry) -> None:
    project = await registry.project()
    tolerance = {
        "missing": [{"name": "施工图审查合格书", "due_on": "2026-10-09"}, {"name": "监理合同", "due_on": "2026-10-30"}],
        "commitment": {"signer": "张伟", "signed_on": "2026-09-28"},
    }
    with city_day(TODAY):
        case = await create(registry, project["id"], tolerance=tolerance)
        await move(registry, case["id"], "accept", on="2026-09-29")
        await move(registry, case["id"], "approve_with_tolerance", on="2026-10-08")
        result = await run_job(registry, TODAY)
        assert result.suspended == [case["id"]]
        suspended = await read(registry, case["id"])
        assert suspended["state"] == "suspended"
        assert [m["overdue"] for m in suspended["tolerance"]["missing"]] == [True, False]
        refused = await move(registry, case["id"], "resume_suspended", 409, on="2026-10-12")
        assert "施工图审查合格书" in refused["detail"]
        still = await move(registry, case["id"], "supplement", on="2026-10-12", material="施工图审查合格书")
        assert still["state"] == "suspended"
        resumed = await move(registry, case["id"], "resume_suspended", on="2026-10-12")
        assert resumed["state"] == "approved_with_tolerance"
        closed = await move(registry, case["id"], "supplement", on="2026-10-12", material="监理合同")
    assert closed["state"] == "closed"


async def test_dates_of_moves_are_never_in_the_future_nor_out_of_order(registry: Registry) -> None:
    project = await registry.project()
    with city_day(TODAY):
        case = await create(registry, project["id"])
        audited = await registry.count("audit_log")
        future = await move(registry, case["id"], "accept", 422, on="2026-10-13")
        earlier = await move(registry, case["id"], "accept", 422, on="2026-09-27")
        reasonless = await move(registry, case["id"], "withdraw", 200)
        assert reasonless["ended_on"] == TODAY.isoformat()
    assert future["errors"][0]["pointer"] == earlier["errors"][0]["pointer"] == "#/body/on"
    assert await registry.count("audit_log") == audited + 1


async def test_a_case_is_received_within_the_limits_of_its_item(registry: Registry) -> None:
    project = await registry.project()
    with city_day(TODAY):
        over = await registry.client.post(
            f"/v1/projects/{project['id']}/approvals",
            json=factories.approval(limit_working_days=21),
            headers=auth(),
        )
        future = await registry.client.post(
            f"/v1/projects/{project['id']}/approvals",
            json=factories.approval(received_on="2026-10-13"),
            headers=auth(),
        )
        nameless = await registry.client.post(
            f"/v1/projects/{project['id']}/approvals", json=factories.approval(item="other"), headers=auth()
        )
        registration = await create(registry, project["id"], item="first_registration", limit_working_days=25)
        green = await create(
            registry,
            project["id"],
            item="other",
            item_name="消防验收",
            green_channel={"reason": "手续不全", "approved_by": "王副市长"},
        )
    assert [r.status_code for r in (over, future, nameless)] == [422, 422, 422]
    assert over.json()["errors"][0]["pointer"] == "#/body/limit_working_days"
    assert (registration["limit_working_days"], registration["statutory_working_days"]) == (25, 30)
    assert green["green_channel"] == {"reason": "手续不全", "approved_by": "王副市长"}
    assert await registry.count("approvals") == 2


def test_a_committed_limit_above_the_statutory_one_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="above the statutory one for: presale_permit"):
        RegistrySettings(approval_limits={"presale_permit": {"statutory": 10, "committed": 15}})
    # As an operator sets it: JSON in the environment.
    monkeypatch.setenv("REGISTRY_APPROVAL_LIMITS", '{"presale_permit": {"statutory": 10, "committed": 10}}')
    settings = RegistrySettings()
    assert settings.approval_limits["presale_permit"].committed == 10
    assert settings.approval_limits["construction_permit"].committed == 15


async def test_cases_submitted_together_share_the_slowest_clock(registry: Registry) -> None:
    project = await registry.project()
    other = await registry.project()
    with city_day(TODAY):
        first = await create(registry, project["id"])
        second = await create(
            registry, project["id"], item="planning_verification", limit_working_days=20, parallel_with=first["id"]
        )
        stranger = await registry.client.post(
            f"/v1/projects/{other['id']}/approvals",
            json=factories.approval(parallel_with=first["id"]),
            headers=auth(),
        )
        another_day = await registry.client.post(
            f"/v1/projects/{project['id']}/approvals",
            json=factories.approval(received_on="2026-09-29", parallel_with=first["id"]),
            headers=auth(),
        )
        first = await read(registry, first["id"])
    assert [stranger.status_code, another_day.status_code] == [422, 422]
    slowest = added(RECEIVED, 20).isoformat()
    assert second["due_on"] == slowest
    for case in (first, second):
        assert case["parallel_group"] == {"id": first["id"], "members": 2, "due_on": slowest, "clock": "on_track"}
    assert first["due_on"] == "2026-10-23"


async def test_a_district_officer_sees_and_moves_its_own_district_only(registry: Registry) -> None:
    ours = await registry.project()
    theirs = await registry.project(district="990102")
    with city_day(TODAY):
        officer = auth("district_officer", district=factories.DISTRICT)
        mine = await create(registry, ours["id"], headers=officer)
        foreign = await create(registry, theirs["id"])
        assert (await read(registry, mine["id"], officer))["id"] == mine["id"]
        hidden = [
            await registry.client.get(f"/v1/approvals/{foreign['id']}", headers=officer),
            await registry.client.post(
                f"/v1/approvals/{foreign['id']}/transitions", json={"action": "accept"}, headers=officer
            ),
            await registry.client.get(f"/v1/projects/{theirs['id']}/approvals", headers=officer),
            await registry.client.post(
                f"/v1/projects/{theirs['id']}/approvals", json=factories.approval(), headers=officer
            ),
        ]
        listed = await registry.client.get("/v1/approvals", headers=officer)
        asked_for_other = await registry.client.get("/v1/approvals", params={"district": "990102"}, headers=officer)
        city = await registry.client.get("/v1/approvals", headers=auth("viewer"))
        viewer_write = await registry.client.post(
            f"/v1/approvals/{mine['id']}/transitions", json={"action": "accept"}, headers=auth("viewer")
        )
        bank = await registry.client.get("/v1/approvals", headers=auth("bank", bank="ICBC"))
    assert [r.status_code for r in hidden] == [404, 404, 404, 404]
    assert (await read(registry, foreign["id"]))["state"] == "received"
    assert [c["id"] for c in listed.json()["items"]] == [mine["id"]]
    assert asked_for_other.json()["items"] == []
    assert {c["id"] for c in city.json()["items"]} == {mine["id"], foreign["id"]}
    assert (viewer_write.status_code, bank.status_code) == (403, 403)


async def test_the_list_filters_by_item_state_and_clock_and_pages(registry: Registry) -> None:
    project = await registry.project()
    with city_day(date(2026, 9, 30)):
        late = await create(registry, project["id"], received_on="2026-09-01")
    with city_day(TODAY):
        fresh = await create(registry, project["id"], item="presale_permit", lead_department="市自然资源局")
        soon = await create(registry, project["id"], received_on="2026-09-18")
        decided = await create(registry, project["id"])
        await move(registry, decided["id"], "accept", on="2026-09-29")
        await move(registry, decided["id"], "refuse", on="2026-10-09", reason="不符合条件")

        async def ids(**params: Any) -> list[str]:
            response = await registry.client.get("/v1/approvals", params=params, headers=auth())
            assert response.status_code == 200, response.text
            return [c["id"] for c in response.json()["items"]]

        assert await ids(clock="overdue") == [late["id"]]
        assert await ids(clock="due_soon") == [soon["id"]]
        assert await ids(clock="on_track") == [fresh["id"]]
        assert await ids(state="refused") == [decided["id"]]
        assert await ids(item="presale_permit") == [fresh["id"]]
        assert await ids(clock="overdue", state="accepted") == []
        assert set(await ids(running="true")) == {late["id"], fresh["id"], soon["id"]}
        assert await ids(running="false") == [decided["id"]]
        assert await ids(running="false", state="accepted") == []
        assert await ids(lead_department="市自然资源局") == [fresh["id"]]
        first = await registry.client.get("/v1/approvals", params={"limit": 2}, headers=auth())
        rest = await registry.client.get(
            "/v1/approvals", params={"limit": 2, "cursor": first.json()["next_cursor"]}, headers=auth()
        )
    paged = first.json()["items"] + rest.json()["items"]
    newest_first = sorted(paged, key=lambda c: (c["created_at"], c["id"]), reverse=True)
    assert [c["id"] for c in paged] == [c["id"] for c in newest_first]
    assert {c["id"] for c in paged} == {late["id"], fresh["id"], soon["id"], decided["id"]}
    assert paged[-1]["id"] == late["id"]
    assert rest.json()["next_cursor"] is None
    assert soon["due_on"] == added(date(2026, 9, 18), 15).isoformat() == "2026-10-15"


async def test_estimated_deadlines_follow_the_year_when_it_is_published(registry: Registry) -> None:
    project = await registry.project()
    with city_day(date(2027, 9, 30)):
        case = await create(registry, project["id"], received_on="2027-09-29")
        # No notice for 2027 yet: only weekends are off, and the answer says it is an estimate.
        assert (case["due_on"], case["estimated"]) == ("2027-10-20", True)
        published = await registry.client.put("/v1/calendar/2027", json=factories.calendar_year(2027), headers=auth())
        assert published.status_code == 200, published.text
        after = await read(registry, case["id"])
    # National Day 2027 (1 to 7 October, five weekdays) is now off and Sunday 26 September worked.
    assert (after["due_on"], after["estimated"]) == ("2027-10-27", False)


async def test_two_decisions_at_once_decide_once(registry: Registry) -> None:
    project = await registry.project()
    with city_day(TODAY):
        case = await create(registry, project["id"])
        await move(registry, case["id"], "accept", on="2026-09-29")
        headers = auth()
        answers = await asyncio.gather(
            *(
                registry.client.post(
                    f"/v1/approvals/{case['id']}/transitions", json={"action": action, **extra}, headers=headers
                )
                for action, extra in (("approve", {}), ("refuse", {"reason": "不符合条件"}))
            )
        )
    assert sorted(a.status_code for a in answers) == [200, 409]
    assert len(await events(registry, "approval.decided")) == 1
    decisions = [a for a, _ in await audit_actions(registry, case["id"]) if a in ("approve", "refuse")]
    assert len(decisions) == 1

"""Coordination items (协调事项): raising them, every move and every illegal one, deadlines through the calendar
with an injected clock, scope by district, the lists' filters."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest

from services.registry.coordination.status import FROM, CoordinationAction, CoordinationState
from services.registry.models import AuditEntry, CoordinationItem
from tests.registry.approvals_support import added, city_day, counted
from tests.registry.conftest import Registry
from tests.registry.coordination_support import audit_actions, body, create, move, read
from tests.support import factories
from tests.support.apps import auth

RAISED = date(2026, 9, 28)
TODAY = date(2026, 10, 12)


async def test_an_item_is_raised_with_its_deadline_counted_on_working_days(registry: Registry) -> None:
    project = await registry.project()
    with city_day(TODAY):
        item = await create(registry, project["id"])
        defaulted = await create(registry, project["id"], raised_on=None, topic="other", topic_name="临时道路占用")
    # 10 working days from Monday 28 September 2026: National Day (1 to 7 October) is off.
    due = added(RAISED, 10)
    assert item["due_on"] == due.isoformat() == "2026-10-16"
    assert {k: item[k] for k in ("state", "district", "topic", "lead_department", "deadline_from")} == {
        "state": "raised",
        "district": factories.DISTRICT,
        "topic": "power",
        "lead_department": "国网市供电公司",
        "deadline_from": "2026-09-28",
    }
    assert (item["overdue"], item["working_days_overdue"], item["estimated"], item["escalated"]) == (
        False,
        0,
        False,
        False,
    )
    assert item["resolved_within_deadline"] is None
    assert (defaulted["raised_on"], defaulted["topic_name"]) == (TODAY.isoformat(), "临时道路占用")
    assert await audit_actions(registry, item["id"]) == ["create"]


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"topic": "other"}, "/body/topic_name"),
        ({"topic_name": "电"}, "/body/topic_name"),
        ({"raised_on": "2026-10-13"}, "/body/raised_on"),
        ({"deadline_working_days": 0}, "/body/deadline_working_days"),
        ({"topic": "roads"}, "/body/topic"),
        ({"lead_department": ""}, "/body/lead_department"),
    ],
)
async def test_a_bad_item_is_refused_and_nothing_is_written(
    registry: Registry, fields: dict[str, Any], pointer: str
) -> None:
    project = await registry.project()
    with city_day(TODAY):
        response = await registry.client.post(
            f"/v1/projects/{project['id']}/coordination-items", json=body(**fields), headers=auth()
        )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert pointer in [e["pointer"].replace("#", "") for e in response.json()["errors"]]
    assert await registry.count(CoordinationItem) == 0


async def test_an_item_goes_raised_accepted_resolved_confirmed(registry: Registry) -> None:
    project = await registry.project()
    with city_day(TODAY):
        item = await create(registry, project["id"])
        accepted = await move(registry, item["id"], "accept", on="2026-09-29")
        resolved = await move(registry, item["id"], "resolve", on="2026-10-09", resolution="已完成正式用电接入")
        confirmed = await move(registry, item["id"], "confirm", note="现场核实已通电")
    assert (accepted["state"], accepted["accepted_on"]) == ("accepted", "2026-09-29")
    assert (resolved["state"], resolved["resolved_on"], resolved["resolution"]) == (
        "resolved",
        "2026-10-09",
        "已完成正式用电接入",
    )
    assert resolved["resolved_within_deadline"] is True
    assert (confirmed["state"], confirmed["confirmed_on"]) == ("confirmed", TODAY.isoformat())
    assert await audit_actions(registry, item["id"]) == sorted(["create", "accept", "resolve", "confirm"])
    [entry] = await registry.rows(
        AuditEntry.__table__.select().where(AuditEntry.entity_id == item["id"], AuditEntry.action == "confirm")
    )
    assert (entry.before["state"], entry.after["state"], entry.after["note"]) == (
        "resolved",
        "confirmed",
        "现场核实已通电",
    )


async def _in_state(registry: Registry, project_id: str, state: CoordinationState) -> dict[str, Any]:
    """An item brought to ``state`` by legal moves (on TODAY's clock)."""
    item = await create(registry, project_id)
    path = {
        CoordinationState.raised: [],
        CoordinationState.accepted: [("accept", {})],
        CoordinationState.resolved: [("accept", {}), ("resolve", {"resolution": "已解决"})],
        CoordinationState.confirmed: [("accept", {}), ("resolve", {"resolution": "已解决"}), ("confirm", {})],
        CoordinationState.reopened: [
            ("accept", {}),
            ("resolve", {"resolution": "已解决"}),
            ("reopen", {"note": "仍未通电"}),
        ],
    }[state]
    for action, extra in path:
        item = await move(registry, item["id"], action, **extra)
    return dict(item)


FILLERS = {"resolution": "已解决", "note": "说明"}


@pytest.mark.parametrize("state", list(CoordinationState))
async def test_every_illegal_move_answers_409_and_changes_nothing(registry: Registry, state: CoordinationState) -> None:
    project = await registry.project()
    with city_day(TODAY):
        item = await _in_state(registry, project["id"], state)
        before = await read(registry, item["id"])
        audited = await audit_actions(registry, item["id"])
        for action in CoordinationAction:
            if state in FROM[action]:
                continue
            problem = await move(registry, item["id"], action.value, status=409, **FILLERS)
            assert problem["type"].endswith(":illegal-transition"), problem
            assert state.value in problem["detail"]
        assert await read(registry, item["id"]) == before
        assert await audit_actions(registry, item["id"]) == audited


async def test_the_legal_moves_are_exactly_these() -> None:
    A, S = CoordinationAction, CoordinationState
    assert {a: set(states) for a, states in FROM.items()} == {
        A.accept: {S.raised, S.reopened},
        A.resolve: {S.accepted, S.reopened},
        A.confirm: {S.resolved},
        A.reopen: {S.resolved},
        A.escalate: {S.raised, S.accepted, S.reopened},
    }


async def test_a_move_needs_its_fields_and_a_date_neither_future_nor_before_the_last_move(registry: Registry) -> None:
    project = await registry.project()
    with city_day(TODAY):
        item = await create(registry, project["id"])
        await move(registry, item["id"], "accept", on="2026-10-09")
        problems = [
            await move(registry, item["id"], "resolve", status=422),
            await move(registry, item["id"], "resolve", status=422, resolution="好了", on="2026-10-13"),
            await move(registry, item["id"], "resolve", status=422, resolution="好了", on="2026-10-08"),
        ]
        unknown = await move(registry, item["id"], "close", status=422)
        stray = [
            await move(registry, item["id"], "escalate", status=422, note="督办", resolution="好了", on="2026-10-09"),
            await move(registry, item["id"], "resolve", status=422, resolution="好了", deadline_working_days=3),
        ]
        after = await read(registry, item["id"])
    assert [p["errors"][0]["pointer"] for p in problems] == ["#/body/resolution", "#/body/on", "#/body/on"]
    assert unknown["status"] == 422
    assert [p["errors"][0]["pointer"] for p in stray] == ["#/body/resolution", "#/body/deadline_working_days"]
    assert (after["state"], after["resolved_on"]) == ("accepted", None)
    assert await audit_actions(registry, item["id"]) == ["accept", "create"]


async def test_a_reopened_item_runs_a_new_deadline_from_the_reopening(registry: Registry) -> None:
    project = await registry.project()
    with city_day(TODAY):
        item = await create(registry, project["id"])
        await move(registry, item["id"], "accept", on="2026-09-29")
        await move(registry, item["id"], "resolve", on="2026-10-09", resolution="已接入")
        missing_note = await move(registry, item["id"], "reopen", status=422)
        reopened = await move(
            registry, item["id"], "reopen", on="2026-10-12", note="3号楼仍未通电", deadline_working_days=3
        )
    assert missing_note["errors"][0]["pointer"] == "#/body/note"
    assert (reopened["state"], reopened["reopened_on"], reopened["times_reopened"]) == ("reopened", "2026-10-12", 1)
    assert (reopened["deadline_from"], reopened["deadline_working_days"]) == ("2026-10-12", 3)
    assert reopened["due_on"] == added(TODAY, 3).isoformat() == "2026-10-15"
    assert (reopened["resolved_on"], reopened["resolution"], reopened["resolved_within_deadline"]) == (None, None, None)
    assert reopened["raised_on"] == "2026-09-28"
    # Late on its new deadline, resolved late, reopened again with the last deadline by default.
    with city_day(date(2026, 10, 19)):
        late = await read(registry, item["id"])
        resolved = await move(registry, item["id"], "resolve", resolution="已正式送电")
        again = await move(registry, item["id"], "reopen", note="电压不稳")
        accepted = await move(registry, item["id"], "accept")
    assert (late["overdue"], late["working_days_overdue"]) == (True, counted(date(2026, 10, 15), date(2026, 10, 19)))
    assert late["working_days_overdue"] == 2
    assert (resolved["resolved_within_deadline"], resolved["working_days_overdue"], resolved["overdue"]) == (
        False,
        2,
        False,
    )
    assert (again["deadline_working_days"], again["times_reopened"], again["due_on"]) == (3, 2, "2026-10-22")
    assert accepted["state"] == "accepted"


async def test_an_overdue_open_item_is_escalated_once_and_keeps_its_state(registry: Registry) -> None:
    project = await registry.project()
    with city_day(TODAY):
        item = await create(registry, project["id"])
        await move(registry, item["id"], "accept", on="2026-09-29")
        # Due on 16 October: on the due date it is not late yet.
        early = await move(registry, item["id"], "escalate", status=409, note="督办")
    with city_day(date(2026, 10, 16)):
        on_due = await move(registry, item["id"], "escalate", status=409, note="督办")
    with city_day(date(2026, 10, 21)):
        no_note = await move(registry, item["id"], "escalate", status=422)
        back_dated = await move(registry, item["id"], "escalate", status=409, note="督办", on="2026-10-16")
        escalated = await move(registry, item["id"], "escalate", note="市政府督办")
        twice = await move(registry, item["id"], "escalate", status=409, note="再次督办")
        overdue_list = await registry.client.get("/v1/coordination-items", params={"overdue": "true"}, headers=auth())
    assert early["type"].endswith(":illegal-transition") and on_due["type"].endswith(":illegal-transition")
    assert no_note["errors"][0]["pointer"] == "#/body/note"
    assert "2026-10-16" in back_dated["detail"]
    assert (escalated["state"], escalated["escalated"], escalated["escalated_on"], escalated["escalation_note"]) == (
        "accepted",
        True,
        "2026-10-21",
        "市政府督办",
    )
    assert (escalated["overdue"], escalated["working_days_overdue"]) == (
        True,
        counted(date(2026, 10, 16), date(2026, 10, 21)),
    )
    assert escalated["working_days_overdue"] == 3
    assert "escalated once" in twice["detail"]
    assert [i["id"] for i in overdue_list.json()["items"]] == [item["id"]]
    assert await audit_actions(registry, item["id"]) == ["accept", "create", "escalate"]


async def test_a_resolved_item_cannot_be_escalated_even_when_resolved_late(registry: Registry) -> None:
    project = await registry.project()
    with city_day(date(2026, 10, 21)):
        item = await create(registry, project["id"])
        await move(registry, item["id"], "accept", on="2026-09-29")
        await move(registry, item["id"], "resolve", resolution="已接入")
        refused = await move(registry, item["id"], "escalate", status=409, note="督办")
        after = await read(registry, item["id"])
    assert refused["type"].endswith(":illegal-transition")
    assert (after["escalated"], after["overdue"], after["resolved_within_deadline"]) == (False, False, False)


async def test_a_deadline_in_an_unpublished_year_is_an_estimate_until_the_notice(registry: Registry) -> None:
    project = await registry.project()
    with city_day(date(2027, 9, 30)):
        item = await create(registry, project["id"], raised_on="2027-09-29", deadline_working_days=15)
        assert (item["due_on"], item["estimated"]) == ("2027-10-20", True)
        published = await registry.client.put("/v1/calendar/2027", json=factories.calendar_year(2027), headers=auth())
        assert published.status_code == 200, published.text
        after = await read(registry, item["id"])
    assert (after["due_on"], after["estimated"]) == ("2027-10-27", False)


async def test_a_district_officer_sees_and_moves_its_own_district_only(registry: Registry) -> None:
    ours = await registry.project()
    theirs = await registry.project(district=factories.OTHER_DISTRICT)
    with city_day(TODAY):
        officer = auth("district_officer", district=factories.DISTRICT)
        mine = await create(registry, ours["id"], headers=officer)
        foreign = await create(registry, theirs["id"])
        assert (await read(registry, mine["id"], officer))["id"] == mine["id"]
        accepted = await registry.client.post(
            f"/v1/coordination-items/{mine['id']}/transitions", json={"action": "accept"}, headers=officer
        )
        hidden = [
            await registry.client.get(f"/v1/coordination-items/{foreign['id']}", headers=officer),
            await registry.client.post(
                f"/v1/coordination-items/{foreign['id']}/transitions", json={"action": "accept"}, headers=officer
            ),
            await registry.client.get(f"/v1/projects/{theirs['id']}/coordination-items", headers=officer),
            await registry.client.post(f"/v1/projects/{theirs['id']}/coordination-items", json=body(), headers=officer),
            await registry.client.get(f"/v1/coordination-items/{'0' * 36}", headers=auth()),
        ]
        listed = await registry.client.get("/v1/coordination-items", headers=officer)
        asked_for_other = await registry.client.get(
            "/v1/coordination-items", params={"district": factories.OTHER_DISTRICT}, headers=officer
        )
        city = await registry.client.get("/v1/coordination-items", headers=auth("viewer"))
        viewer_write = await registry.client.post(
            f"/v1/coordination-items/{mine['id']}/transitions", json={"action": "accept"}, headers=auth("viewer")
        )
        bank = await registry.client.get("/v1/coordination-items", headers=auth("bank", bank="ICBC"))
        anonymous = await registry.client.get("/v1/coordination-items")
    assert accepted.status_code == 200, accepted.text
    assert [r.status_code for r in hidden] == [404, 404, 404, 404, 404]
    assert (await read(registry, foreign["id"]))["state"] == "raised"
    assert await registry.count(CoordinationItem) == 2
    assert [i["id"] for i in listed.json()["items"]] == [mine["id"]]
    assert asked_for_other.json()["items"] == []
    assert {i["id"] for i in city.json()["items"]} == {mine["id"], foreign["id"]}
    assert (viewer_write.status_code, bank.status_code, anonymous.status_code) == (403, 403, 401)


async def test_the_lists_filter_by_district_department_state_and_lateness_and_page(registry: Registry) -> None:
    project = await registry.project()
    other = await registry.project(district=factories.OTHER_DISTRICT)
    with city_day(TODAY):
        late = await create(registry, project["id"], raised_on="2026-09-01")
        water = await create(registry, project["id"], topic="water", lead_department="市水务集团")
        done = await create(registry, project["id"], raised_on="2026-09-01")
        await move(registry, done["id"], "accept", on="2026-09-02")
        await move(registry, done["id"], "resolve", on="2026-09-03", resolution="已解决")
        elsewhere = await create(registry, other["id"], raised_on="2026-09-01")

        async def ids(path: str = "/v1/coordination-items", **params: Any) -> list[str]:
            response = await registry.client.get(path, params=params, headers=auth())
            assert response.status_code == 200, response.text
            return [i["id"] for i in response.json()["items"]]

        assert set(await ids(overdue="true")) == {late["id"], elsewhere["id"]}
        assert await ids(overdue="true", district=factories.DISTRICT) == [late["id"]]
        assert set(await ids(overdue="false")) == {water["id"], done["id"]}
        assert await ids(overdue="true", state="resolved") == []
        assert await ids(overdue="false", state="resolved") == [done["id"]]
        assert await ids(state="resolved") == [done["id"]]
        assert await ids(department="市水务集团") == [water["id"]]
        assert await ids(district=factories.OTHER_DISTRICT) == [elsewhere["id"]]
        assert set(await ids(f"/v1/projects/{project['id']}/coordination-items")) == {
            late["id"],
            water["id"],
            done["id"],
        }
        seen: list[str] = []
        for params in ({"limit": 1}, {"limit": 1, "overdue": "true"}):
            cursor: str | None = None
            pages: list[str] = []
            while True:
                query = {**params, **({"cursor": cursor} if cursor else {})}
                response = await registry.client.get("/v1/coordination-items", params=query, headers=auth())
                assert response.status_code == 200, response.text
                pages += [i["id"] for i in response.json()["items"]]
                cursor = response.json()["next_cursor"]
                if cursor is None:
                    break
            seen.append(",".join(pages))
        bad_cursor = await registry.client.get("/v1/coordination-items", params={"cursor": "abc"}, headers=auth())
    assert len(seen[0].split(",")) == 4 and len(set(seen[0].split(","))) == 4
    assert set(seen[1].split(",")) == {late["id"], elsewhere["id"]}
    assert bad_cursor.status_code == 400


async def test_two_escalations_at_once_escalate_once(registry: Registry) -> None:
    project = await registry.project()
    with city_day(date(2026, 10, 21)):
        item = await create(registry, project["id"])
        headers = auth()
        answers = await asyncio.gather(
            *(
                registry.client.post(
                    f"/v1/coordination-items/{item['id']}/transitions",
                    json={"action": "escalate", "note": note},
                    headers=headers,
                )
                for note in ("区督办", "市督办")
            )
        )
        after = await read(registry, item["id"])
    assert sorted(a.status_code for a in answers) == [200, 409]
    assert after["escalation_note"] == next(a.json()["escalation_note"] for a in answers if a.status_code == 200)
    assert await audit_actions(registry, item["id"]) == ["create", "escalate"]

"""The daily approvals job, called with an injected day (never today's date), and the overdue board it feeds."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
import time_machine

from services.common import clock
from services.registry.app import create_registry_app
from services.registry.approvals import job
from services.registry.models import OUTBOX, AuditEntry
from services.registry.settings import RegistrySettings
from tests.registry.approvals_support import RECEIVED, added, city_day, counted, create, move, read, run_job
from tests.registry.conftest import Registry
from tests.support import factories
from tests.support.apps import auth, running


async def emitted(registry: Registry, event_type: str) -> list[dict[str, Any]]:
    table = OUTBOX.events
    rows = await registry.rows(sa.select(table.c.body).where(table.c.type == event_type).order_by(table.c.created_at))
    return [dict(json.loads(r.body)["data"]) for r in rows]


async def test_an_open_case_past_its_due_date_is_announced_once(registry: Registry) -> None:
    project = await registry.project()
    with city_day(date(2026, 10, 12)):
        late = await create(registry, project["id"])
        paused = await create(registry, project["id"])
        decided = await create(registry, project["id"])
        await move(registry, late["id"], "accept", on="2026-09-29")
        await move(registry, decided["id"], "accept", on="2026-09-29")
        await move(registry, decided["id"], "approve", on="2026-10-12")
        await move(registry, paused["id"], "accept", on="2026-09-29")
        await move(registry, paused["id"], "pause", on="2026-10-12", reason="correction")
    due = added(RECEIVED, 15)
    # On the due date nothing is late yet; the day after, the two cases still running are.
    with city_day(due):
        assert (await run_job(registry, due)).overdue == []
    after = date(2026, 10, 26)
    with city_day(after):
        first = await run_job(registry, after)
        again = await run_job(registry, after)
        later = await run_job(registry, date(2026, 10, 27))
    assert first.overdue == [late["id"]]
    assert again.overdue == later.overdue == []
    [event] = await emitted(registry, "approval.overdue")
    assert event["approval_id"] == late["id"]
    assert (event["due_on"], event["state"], event["lead_department"]) == (due.isoformat(), "accepted", "市住建局")
    assert event["working_days_overdue"] == counted(due, after) == 1
    assert event["working_days_used"] == counted(RECEIVED, after) == 16
    assert event["project_id"] == project["id"]
    # The paused case's clock stopped before its due date; its due date moves as long as the pause runs.
    with city_day(after):
        assert (await read(registry, paused["id"]))["clock"] == "on_track"


async def test_an_overdue_material_suspends_the_case_and_is_announced_once_per_material(registry: Registry) -> None:
    project = await registry.project()
    tolerance = {
        "missing": [
            {"name": "施工图审查合格书", "due_on": "2026-10-09"},
            {"name": "监理合同", "due_on": "2026-10-13"},
            {"name": "质量安全监督手续", "due_on": "2026-10-30"},
        ],
        "commitment": {"signer": "张伟", "signed_on": "2026-09-28"},
    }
    with city_day(date(2026, 10, 9)):
        case = await create(registry, project["id"], tolerance=tolerance)
        still_open = await create(registry, project["id"], tolerance=tolerance)
        await move(registry, case["id"], "accept", on="2026-09-29")
        await move(registry, case["id"], "approve_with_tolerance", on="2026-10-09")
        # A material due on the day it is checked is not overdue yet.
        assert (await run_job(registry, date(2026, 10, 9))).suspended == []
    with city_day(date(2026, 10, 12)):
        first = await run_job(registry, date(2026, 10, 12))
        assert (await read(registry, case["id"]))["state"] == "suspended"
    with city_day(date(2026, 10, 14)):
        second = await run_job(registry, date(2026, 10, 14))
        third = await run_job(registry, date(2026, 10, 14))
    assert first.suspended == [case["id"]]
    assert second.suspended == third.suspended == []
    # A case not yet decided owes its materials too, but is not suspended: it has nothing to suspend.
    assert first.supplements_overdue == [(case["id"], "施工图审查合格书")]
    assert second.supplements_overdue == [(case["id"], "监理合同")]
    assert third.supplements_overdue == []
    events = await emitted(registry, "approval.supplement_overdue")
    assert [(e["material"], e["material_due_on"], e["state"]) for e in events] == [
        ("施工图审查合格书", "2026-10-09", "suspended"),
        ("监理合同", "2026-10-13", "suspended"),
    ]
    [suspension] = await registry.rows(
        sa.select(AuditEntry.actor, AuditEntry.before, AuditEntry.after).where(
            AuditEntry.entity_id == case["id"], AuditEntry.action == "suspend"
        )
    )
    assert suspension.actor == "registry:daily-job"
    assert (suspension.before["state"], suspension.after["state"]) == ("approved_with_tolerance", "suspended")
    assert suspension.after["overdue_materials"] == ["施工图审查合格书"]
    assert (await read(registry, still_open["id"]))["state"] == "received"


def test_the_job_sleeps_until_the_city_midnight() -> None:
    # 23:59 in the city (UTC+8) is 15:59 UTC: one minute to go.
    assert job.seconds_to_next_midnight(datetime(2026, 10, 12, 15, 59, tzinfo=UTC)) == 60
    assert job.seconds_to_next_midnight(datetime(2026, 10, 12, 16, 0, tzinfo=UTC)) == 24 * 3600


async def test_the_job_runs_in_the_background_of_a_running_registry(
    registry_settings: Callable[..., RegistrySettings],
) -> None:
    app = create_registry_app(registry_settings(run_daily_jobs=True))
    async with running(app):
        task = app.state.approvals_daily_job.task
        assert task is not None and not task.done()
    assert task.cancelled()


async def test_the_overdue_board_lists_what_is_late_with_its_owner(registry: Registry) -> None:
    ours = await registry.project()
    theirs = await registry.project(district="990102")
    with city_day(date(2026, 9, 30)):
        oldest = await create(registry, ours["id"], received_on="2026-09-01", lead_department="市自然资源局")
    with city_day(date(2026, 10, 12)):
        newer = await create(registry, theirs["id"])
        on_time = await create(registry, ours["id"], received_on="2026-10-12")
        withdrawn = await create(registry, ours["id"], received_on="2026-09-01")
        await move(registry, withdrawn["id"], "withdraw", on="2026-10-12")
    today = date(2026, 11, 2)
    with time_machine.travel(datetime(2026, 11, 2, 4, 0, tzinfo=UTC), tick=False):
        assert clock.today() == today
        board = await registry.client.get("/v1/supervision/overdue", headers=auth())
        officer = await registry.client.get(
            "/v1/supervision/overdue", headers=auth("district_officer", district=factories.DISTRICT)
        )
        narrowed = await registry.client.get("/v1/supervision/overdue", params={"district": "990102"}, headers=auth())
        first = await registry.client.get("/v1/supervision/overdue", params={"limit": 1}, headers=auth())
        rest = await registry.client.get(
            "/v1/supervision/overdue", params={"limit": 1, "cursor": first.json()["next_cursor"]}, headers=auth()
        )
    assert board.status_code == 200, board.text
    items = board.json()["items"]
    assert [i["id"] for i in items] == [oldest["id"], newer["id"]]
    oldest_due = added(date(2026, 9, 1), 15)
    assert items[0] == {
        "kind": "approval",
        "id": oldest["id"],
        "project_id": ours["id"],
        "project_code": ours["code"],
        "project_name": ours["name"],
        "district": factories.DISTRICT,
        "title": "施工许可",
        "owner": "市自然资源局",
        "due_on": oldest_due.isoformat(),
        "working_days_overdue": counted(oldest_due, today),
        "days_overdue": (today - oldest_due).days,
        "estimated": False,
        "escalated": False,
    }
    assert items[1]["working_days_overdue"] == counted(added(RECEIVED, 15), today) == 6
    assert on_time["id"] not in {i["id"] for i in items}
    assert [i["id"] for i in officer.json()["items"]] == [oldest["id"]]
    assert [i["id"] for i in narrowed.json()["items"]] == [newer["id"]]
    assert [i["id"] for i in first.json()["items"] + rest.json()["items"]] == [oldest["id"], newer["id"]]
    assert rest.json()["next_cursor"] is None


async def test_a_city_admin_may_run_the_check_now_and_it_acts_once(registry: Registry) -> None:
    project = await registry.project()
    tolerance = {
        "missing": [{"name": "监理合同", "due_on": "2026-10-09"}],
        "commitment": {"signer": "张伟", "signed_on": "2026-09-28"},
    }
    with city_day(date(2026, 10, 26)):
        late = await create(registry, project["id"])
        owing = await create(registry, project["id"], tolerance=tolerance)
        await move(registry, owing["id"], "accept", on="2026-09-29")
        await move(registry, owing["id"], "approve_with_tolerance", on="2026-10-08")
        officer = await registry.client.post(
            "/v1/approvals/daily-check", headers=auth("district_officer", district=factories.DISTRICT)
        )
        first = await registry.client.post("/v1/approvals/daily-check", headers=auth())
        second = await registry.client.post("/v1/approvals/daily-check", headers=auth())
    assert officer.status_code == 403
    assert first.status_code == 200, first.text
    assert first.json() == {
        "on": "2026-10-26",
        "overdue": [late["id"]],
        "supplements_overdue": [f"{owing['id']}/监理合同"],
        "suspended": [owing["id"]],
        "findings_overdue": [],
        "coordination_items_overdue": [],
    }
    assert second.json() == {
        "on": "2026-10-26",
        "overdue": [],
        "supplements_overdue": [],
        "suspended": [],
        "findings_overdue": [],
        "coordination_items_overdue": [],
    }
    [actor] = await registry.rows(
        sa.select(AuditEntry.actor).where(AuditEntry.entity_id == owing["id"], AuditEntry.action == "suspend")
    )
    assert actor.actor == "tester"
    assert len(await emitted(registry, "approval.overdue")) == 1

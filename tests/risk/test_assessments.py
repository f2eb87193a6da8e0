"""Assessments: facts from registry and funding from financing (respx mocks), stored append-only, tier changes
announced through the outbox, hysteresis, unknown funding retried, and reassessment after facts_changed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from services.common.db import new_id
from services.common.peers import PeerUnavailable
from services.risk.app import create_risk_app
from services.risk.models import OUTBOX, Assessment, PendingReassessment
from services.risk.settings import RiskSettings
from tests.risk.conftest import Peers, Risk
from tests.support.apps import auth, running

STALLED = {"stall_days": 400, "progress_lag_pct": "45.0", "disputes_30d": 3, "disputes_90d": 8, "overdue_days": 200}


async def test_an_assessment_is_stored_and_its_tier_announced(risk: Risk) -> None:
    project_id = risk.peers.project(
        **STALLED, remaining_cost="100000000.00", own_funds_available="30000000.00", undrawn="20000000.00"
    )
    run = await risk.assess(project_id)
    assert (run["assessed"], run["tier_changes"], run["funding_unknown"], run["not_found"]) == (1, 1, False, [])
    summary = run["items"][0]
    assert (summary["tier"], summary["previous_tier"]) == ("red", None)

    [stored] = await risk.history(project_id)
    assert stored["id"] == summary["assessment_id"]
    assert (stored["number"], stored["trigger"], stored["tier"], stored["computed_tier"]) == (
        1,
        "request",
        "red",
        "red",
    )
    assert stored["features"]["funding_gap_amount"] == "50000000.00"
    assert stored["features"]["funding_gap_ratio"] == 0.5
    assert stored["facts"]["undrawn_amount"] == "20000000.00"
    assert stored["facts"]["remaining_cost"] == "100000000.00"
    assert stored["model_version"].startswith("sc1-") and stored["thresholds_version"] == "2025-11-25.1"
    assert sum(c["points"] for c in stored["contributions"]) == stored["score"]
    assert "P_STALL_180D" in stored["rules_fired"]

    [event] = await risk.events(project_id)
    assert event["type"] == "project.risk_tier_changed"
    data = event["data"]
    assert (data["project_id"], data["sequence"], data["tier"], data["previous_tier"]) == (project_id, 1, "red", None)
    assert data["assessment_id"] == stored["id"]
    assert (data["probability"], data["score"]) == (stored["probability"], stored["score"])
    assert data["reason_codes"] == stored["reason_codes"] and data["model_version"] == stored["model_version"]
    deliveries = await risk.rows(sa.select(OUTBOX.deliveries.c.url).order_by(OUTBOX.deliveries.c.url))
    assert [d.url for d in deliveries] == ["http://financing.test/v1/inbox", "http://registry.test/v1/inbox"]
    assert risk.peers.registry.requests == [{"project_ids": [project_id]}]
    assert risk.peers.financing.requests == [{"project_ids": [project_id]}]


async def test_an_unchanged_tier_emits_nothing(risk: Risk) -> None:
    project_id = risk.peers.project()
    await risk.assess(project_id)
    second = await risk.assess(project_id)
    assert (second["items"][0]["tier"], second["tier_changes"]) == ("green", 0)
    assert len(await risk.events(project_id)) == 1
    history = await risk.history(project_id)
    assert [a["number"] for a in history] == [2, 1]


async def test_a_tier_rises_at_once_and_falls_after_three_lower_assessments(risk: Risk) -> None:
    project_id = risk.peers.project()
    assert (await risk.assess(project_id))["items"][0]["tier"] == "green"
    risk.peers.set_facts(project_id, **STALLED)
    assert (await risk.assess(project_id))["items"][0]["tier"] == "red"
    risk.peers.set_facts(
        project_id, stall_days=0, progress_lag_pct="0.0", disputes_30d=0, disputes_90d=0, overdue_days=0
    )
    tiers = [(await risk.assess(project_id))["items"][0] for _ in range(3)]
    assert [(t["computed_tier"], t["tier"]) for t in tiers] == [("green", "red"), ("green", "red"), ("green", "green")]
    history = await risk.history(project_id)
    assert [a["lower_streak"] for a in history] == [0, 2, 1, 0, 0]
    events = await risk.events(project_id)
    assert [(e["data"]["previous_tier"], e["data"]["tier"], e["data"]["sequence"]) for e in events] == [
        (None, "green", 1),
        ("green", "red", 2),
        ("red", "green", 3),
    ]


async def test_a_rise_interrupts_a_fall(risk: Risk) -> None:
    project_id = risk.peers.project(**STALLED)
    await risk.assess(project_id)
    risk.peers.set_facts(
        project_id, stall_days=0, progress_lag_pct="0.0", disputes_30d=0, disputes_90d=0, overdue_days=0
    )
    await risk.assess(project_id)
    await risk.assess(project_id)
    risk.peers.set_facts(project_id, **STALLED)
    assert (await risk.assess(project_id))["items"][0]["tier"] == "red"
    risk.peers.set_facts(
        project_id, stall_days=0, progress_lag_pct="0.0", disputes_30d=0, disputes_90d=0, overdue_days=0
    )
    assert (await risk.assess(project_id))["items"][0]["tier"] == "red"
    assert len(await risk.events(project_id)) == 1


async def test_without_financing_funding_is_unknown_then_retried(risk: Risk) -> None:
    project_id = risk.peers.project(**STALLED, own_funds_available="0.00", undrawn="20000000.00")
    risk.peers.financing.unavailable = True
    run = await risk.assess(project_id)
    assert run["funding_unknown"] is True
    [first] = await risk.history(project_id)
    assert first["funding_unknown"] is True
    assert first["features"]["funding_gap_amount"] is None and first["features"]["funding_gap_ratio"] is None
    assert first["facts"]["undrawn_amount"] is None

    worker = risk.app.state.worker
    with pytest.raises(PeerUnavailable, match="financing"):
        await worker.retry_unknown_funding()
    assert len(await risk.history(project_id)) == 1

    risk.peers.financing.unavailable = False
    assert await worker.retry_unknown_funding() == 1
    latest, _ = await risk.history(project_id)
    assert (latest["trigger"], latest["funding_unknown"]) == ("funding_retry", False)
    assert latest["features"]["funding_gap_amount"] == "80000000.00"
    assert await worker.retry_unknown_funding() == 0


async def test_without_registry_nothing_is_assessed(risk: Risk) -> None:
    project_id = risk.peers.project()
    risk.peers.registry.unavailable = True
    response = await risk.client.post("/v1/assessments", json={"project_ids": [project_id]}, headers=risk.admin)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert await risk.db.count(Assessment) == 0


async def test_unknown_projects_are_listed_and_all_assesses_the_ledger(risk: Risk) -> None:
    known = [risk.peers.project() for _ in range(3)]
    stranger = new_id()
    run = await risk.assess(known[0], stranger)
    assert (run["assessed"], run["not_found"]) == (1, [stranger])
    everything = await risk.client.post("/v1/assessments", json={"all": True}, headers=auth("service"))
    assert everything.status_code == 200
    assert sorted(i["project_id"] for i in everything.json()["items"]) == sorted(known)
    assert risk.peers.registry.requests[-1] == {"all": True}


async def test_a_gap_covered_by_credit_is_zero(risk: Risk) -> None:
    project_id = risk.peers.project(
        remaining_cost="100000000.00", own_funds_available="30000000.00", undrawn="90000000.00"
    )
    await risk.assess(project_id)
    [stored] = await risk.history(project_id)
    assert (stored["features"]["funding_gap_amount"], stored["features"]["funding_gap_ratio"]) == ("0.00", 0.0)
    nothing_left = risk.peers.project(remaining_cost="0.00", own_funds_available="0.00", undrawn=None)
    await risk.assess(nothing_left)
    [stored] = await risk.history(nothing_left)
    assert (stored["features"]["funding_gap_amount"], stored["features"]["funding_gap_ratio"]) == ("0.00", 0.0)
    assert stored["facts"]["undrawn_amount"] == "0.00"


async def test_who_may_assess_and_read(risk: Risk) -> None:
    project_id = risk.peers.project(district="990101")
    body = {"project_ids": [project_id]}
    for role, status in (("viewer", 403), ("district_officer", 403), ("bank", 403), ("service", 200)):
        claims = {"district": "990101"} if role == "district_officer" else {"bank": "ICBC"} if role == "bank" else {}
        response = await risk.client.post("/v1/assessments", json=body, headers=auth(role, **claims))
        assert response.status_code == status, role
    url = f"/v1/projects/{project_id}/assessments"
    assert (await risk.client.get(url, headers=auth("viewer"))).status_code == 200
    assert (await risk.client.get(url, headers=auth("district_officer", district="990101"))).status_code == 200
    assert (await risk.client.get(url, headers=auth("district_officer", district="990102"))).status_code == 404
    assert (await risk.client.get(url, headers=auth("bank", bank="ICBC"))).status_code == 403
    assert (await risk.client.get(f"/v1/projects/{new_id()}/assessments", headers=risk.admin)).status_code == 404


async def test_a_request_needs_ids_or_all(risk: Risk) -> None:
    for body in (
        {},
        {"all": False},
        {"all": True, "project_ids": [new_id()]},
        {"project_ids": []},
        {"project_ids": ["not-a-uuid"]},
    ):
        response = await risk.client.post("/v1/assessments", json=body, headers=risk.admin)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"


async def test_history_pages_newest_first(risk: Risk) -> None:
    project_id = risk.peers.project()
    for _ in range(5):
        await risk.assess(project_id)
    url = f"/v1/projects/{project_id}/assessments"
    numbers: list[int] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await risk.client.get(url, params=params, headers=risk.admin)).json()
        numbers += [a["number"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert numbers == [5, 4, 3, 2, 1]
    bad = await risk.client.get(url, params={"cursor": "bm90LWEtY3Vyc29y"}, headers=risk.admin)
    assert bad.status_code == 400


async def test_facts_changed_queues_a_reassessment_done_after_the_inbox_answers(risk: Risk) -> None:
    project_id = risk.peers.project(**STALLED)
    risk.peers.registry.unavailable = True
    response = await risk.inbox("project.facts_changed", {"project_id": project_id, "sequence": 1})
    assert (response.status_code, response.json()["status"]) == (200, "applied")
    assert risk.peers.registry.requests == []
    assert [r.project_id for r in await risk.rows(sa.select(PendingReassessment.project_id))] == [project_id]

    worker = risk.app.state.worker
    with pytest.raises(PeerUnavailable, match="registry"):
        await worker.reassess_queued()
    assert await risk.db.count(PendingReassessment) == 1

    risk.peers.registry.unavailable = False
    assert await worker.reassess_queued() == 1
    [stored] = await risk.history(project_id)
    assert (stored["trigger"], stored["tier"]) == ("facts_changed", "red")
    assert await risk.db.count(PendingReassessment) == 0
    assert (await risk.inbox("project.facts_changed", {"sequence": 2})).status_code == 422


async def test_the_worker_reassesses_by_itself(risk_settings: Callable[..., RiskSettings], peers: Peers) -> None:
    settings = risk_settings(run_workers=True, reassess_delay_seconds=0.05)
    app = create_risk_app(settings)
    async with running(app) as client:
        risk = Risk(client, settings, app, peers)
        project_id = peers.project(**STALLED)
        assert (await risk.inbox("project.facts_changed", {"project_id": project_id})).status_code == 200
        for _ in range(100):
            if await risk.db.count(Assessment):
                break
            await asyncio.sleep(0.05)
        [stored] = await risk.history(project_id)
        assert stored["tier"] == "red"


async def test_many_projects_are_assessed_in_bulk(risk: Risk) -> None:
    ids = [risk.peers.project(stall_days=i % 300, disputes_30d=i % 4, undrawn="5000000.00") for i in range(12_000)]
    response = await risk.client.post("/v1/assessments", json={"all": True}, headers=risk.admin)
    assert response.status_code == 200
    body = response.json()
    assert body["assessed"] == body["tier_changes"] == 12_000
    assert len(risk.peers.registry.requests) == 1
    assert [len(r["project_ids"]) for r in risk.peers.financing.requests] == [5_000, 5_000, 2_000]
    assert await risk.db.count(Assessment) == 12_000
    assert await risk.db.count(OUTBOX.events) == 12_000
    assert await risk.db.count(OUTBOX.deliveries) == 24_000
    [sample] = await risk.history(ids[299])
    assert (sample["facts"]["stall_days"], sample["facts"]["undrawn_amount"]) == (299, "5000000.00")


async def test_an_unknown_query_parameter_is_refused(risk: Risk) -> None:
    project_id = risk.peers.project()
    await risk.assess(project_id)
    response = await risk.client.get(f"/v1/projects/{project_id}/assessments", params={"limt": 2}, headers=risk.admin)
    assert response.status_code == 422
    assert [e["pointer"] for e in response.json()["errors"]] == ["#/query/limt"]

"""Overrides: city admins only, a reason required, audited, published at once, lifted or expired."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from services.common import clock
from services.common.db import new_id
from services.risk.models import Override
from tests.risk.conftest import Risk
from tests.support.apps import auth

STALLED = {"stall_days": 400, "progress_lag_pct": "45.0", "disputes_30d": 3, "disputes_90d": 8, "overdue_days": 200}


async def _assessed(risk: Risk, **facts: object) -> str:
    project_id = risk.peers.project(**facts)  # type: ignore[arg-type]
    await risk.assess(project_id)
    return project_id


async def test_an_override_needs_a_reason(risk: Risk) -> None:
    project_id = await _assessed(risk)
    url = f"/v1/projects/{project_id}/override"
    for body in ({"tier": "red"}, {"tier": "red", "reason": ""}, {"tier": "red", "reason": "   "}):
        response = await risk.client.post(url, json=body, headers=risk.admin)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
        assert "#/body/reason" in [e["pointer"] for e in response.json()["errors"]]
    past = (clock.now() - timedelta(days=1)).isoformat()
    response = await risk.client.post(url, json={"tier": "red", "reason": "x", "expires_at": past}, headers=risk.admin)
    assert response.status_code == 422
    assert await risk.db.count(Override) == 0


@pytest.mark.parametrize(
    ("role", "claims"),
    [("service", {}), ("viewer", {}), ("district_officer", {"district": "990101"}), ("bank", {"bank": "ICBC"})],
    ids=["service", "viewer", "district_officer", "bank"],
)
async def test_only_city_admins_override(risk: Risk, role: str, claims: dict[str, str]) -> None:
    headers = auth(role, **claims)
    project_id = await _assessed(risk)
    url = f"/v1/projects/{project_id}/override"
    assert (await risk.client.post(url, json={"tier": "red", "reason": "x"}, headers=headers)).status_code == 403
    assert (await risk.client.delete(url, headers=headers)).status_code == 403


async def test_an_unassessed_project_cannot_be_overridden(risk: Risk) -> None:
    url = f"/v1/projects/{new_id()}/override"
    response = await risk.client.post(url, json={"tier": "red", "reason": "x"}, headers=risk.admin)
    assert response.status_code == 404


async def test_override_applies_is_audited_and_lifted(risk: Risk) -> None:
    project_id = await _assessed(risk)
    url = f"/v1/projects/{project_id}/override"
    response = await risk.client.post(
        url, json={"tier": "orange", "reason": "  群众集中信访，专班介入  "}, headers=auth("city_admin", sub="chen")
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == url
    override = response.json()
    assert (override["tier"], override["reason"], override["created_by"]) == (
        "orange",
        "群众集中信访，专班介入",
        "chen",
    )
    expires = datetime.fromisoformat(override["expires_at"]) - datetime.fromisoformat(override["created_at"])
    assert expires == timedelta(days=30)
    assert (await risk.client.get(url, headers=auth("viewer"))).json()["id"] == override["id"]

    events = await risk.events(project_id)
    assert [(e["data"]["previous_tier"], e["data"]["tier"]) for e in events] == [(None, "green"), ("green", "orange")]
    assert events[-1]["data"]["override_id"] == override["id"]

    assessed = await risk.assess(project_id)
    assert (assessed["items"][0]["computed_tier"], assessed["items"][0]["tier"]) == ("green", "orange")
    latest = (await risk.history(project_id))[0]
    assert latest["override_id"] == override["id"]
    assert len(await risk.events(project_id)) == 2

    assert (await risk.client.delete(url, headers=auth("city_admin", sub="li"))).status_code == 204
    events = await risk.events(project_id)
    assert [(e["data"]["previous_tier"], e["data"]["tier"]) for e in events][-1] == ("orange", "green")
    assert (await risk.client.get(url, headers=risk.admin)).status_code == 404
    assert (await risk.client.delete(url, headers=risk.admin)).status_code == 404

    audit = (await risk.client.get("/v1/audit", params={"project_id": project_id}, headers=risk.admin)).json()
    assert [(a["action"], a["actor"], a["tier_before"], a["tier_after"]) for a in audit["items"]] == [
        ("lifted", "li", "orange", "green"),
        ("set", "chen", "green", "orange"),
    ]
    assert audit["items"][1]["reason"] == "群众集中信访，专班介入"
    assert (await risk.client.get("/v1/audit", headers=auth("viewer"))).status_code == 403


async def test_an_override_equal_to_the_tier_emits_nothing(risk: Risk) -> None:
    project_id = await _assessed(risk)
    url = f"/v1/projects/{project_id}/override"
    assert (
        await risk.client.post(url, json={"tier": "green", "reason": "复核无误"}, headers=risk.admin)
    ).status_code == 201
    assert len(await risk.events(project_id)) == 1


async def test_a_new_override_replaces_the_one_in_force(risk: Risk) -> None:
    project_id = await _assessed(risk)
    url = f"/v1/projects/{project_id}/override"
    first = (await risk.client.post(url, json={"tier": "yellow", "reason": "a"}, headers=risk.admin)).json()
    second = (await risk.client.post(url, json={"tier": "red", "reason": "b"}, headers=risk.admin)).json()
    assert (await risk.client.get(url, headers=risk.admin)).json()["id"] == second["id"]
    rows = await risk.rows(sa.select(Override.id, Override.end_reason).order_by(Override.created_at))
    assert [(r.id, r.end_reason) for r in rows] == [(first["id"], "replaced"), (second["id"], None)]
    audit = (await risk.client.get("/v1/audit", headers=risk.admin)).json()["items"]
    assert [a["action"] for a in audit] == ["set", "replaced", "set"]


async def test_an_expired_override_stops_at_the_next_assessment(risk: Risk) -> None:
    project_id = await _assessed(risk, **STALLED)
    url = f"/v1/projects/{project_id}/override"
    expires = clock.now() + timedelta(hours=1)
    response = await risk.client.post(
        url, json={"tier": "yellow", "reason": "处置方案已落实", "expires_at": expires.isoformat()}, headers=risk.admin
    )
    assert response.status_code == 201
    within = (await risk.assess(project_id))["items"][0]
    assert within["tier"] == "yellow"
    # An hour and a second later, on the moved clock: the next assessment finds the override expired.
    with time_machine.travel(expires + timedelta(seconds=1)):
        assessed = (await risk.assess(project_id))["items"][0]
    assert (assessed["previous_tier"], assessed["tier"]) == ("yellow", "red")
    assert (await risk.history(project_id))[0]["override_id"] is None
    [row] = await risk.rows(sa.select(Override.end_reason, Override.ended_by))
    assert (row.end_reason, row.ended_by) == ("expired", "system:risk")
    audit = (await risk.client.get("/v1/audit", headers=risk.admin)).json()["items"]
    assert (audit[0]["action"], audit[0]["tier_before"], audit[0]["tier_after"]) == ("expired", "yellow", "red")
    events = await risk.events(project_id)
    assert [e["data"]["tier"] for e in events] == ["red", "yellow", "red"]


async def test_district_officers_see_overrides_of_their_district_only(risk: Risk) -> None:
    project_id = await _assessed(risk, district="990101")
    url = f"/v1/projects/{project_id}/override"
    assert (await risk.client.post(url, json={"tier": "red", "reason": "x"}, headers=risk.admin)).status_code == 201
    assert (await risk.client.get(url, headers=auth("district_officer", district="990101"))).status_code == 200
    assert (await risk.client.get(url, headers=auth("district_officer", district="990102"))).status_code == 404

"""Outcomes: once per project, consistent with its status and contract date; a city admin may correct one."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import orjson
import sqlalchemy as sa

from services.registry.models import OUTBOX, Outcome
from tests.registry.conftest import Registry
from tests.support.apps import auth


async def delivered_project(registry: Registry, **overrides: Any) -> dict[str, Any]:
    project = await registry.project(**overrides)
    for status in ("completed", "delivered"):
        response = await registry.client.patch(
            f"/v1/projects/{project['id']}", json={"status": status}, headers=registry.admin
        )
        assert response.status_code == 200, response.text
    return project


async def test_record_read_and_announce(registry: Registry, today: date) -> None:
    project = await delivered_project(registry)
    url = f"/v1/projects/{project['id']}/outcome"
    assert (await registry.client.get(url, headers=registry.admin)).status_code == 404
    body = {"kind": "delivered_on_time", "delivered_on": today.isoformat(), "note": "如期交付"}
    response = await registry.client.post(url, json=body, headers=auth("city_admin", sub="alice"))
    assert response.status_code == 201, response.text
    assert response.headers["location"] == url
    recorded = response.json()
    assert (recorded["kind"], recorded["delivered_on"], recorded["recorded_by"]) == (
        "delivered_on_time",
        today.isoformat(),
        "alice",
    )
    assert (await registry.client.get(url, headers=registry.admin)).json() == recorded
    events = OUTBOX.events
    latest = await registry.rows(
        sa.select(events.c.body).where(events.c.project_id == project["id"]).order_by(events.c.sequence.desc())
    )
    assert orjson.loads(latest[0].body)["data"]["cause"] == "outcome.recorded"


async def test_second_outcome_is_409_except_for_a_city_admin(registry: Registry, today: date) -> None:
    project = await registry.project(contract_delivery_date=(today - timedelta(days=100)).isoformat())
    url = f"/v1/projects/{project['id']}"
    assert (await registry.client.patch(url, json={"status": "terminated"}, headers=registry.admin)).status_code == 200
    officer = auth("district_officer", district=project["district"])
    first = await registry.client.post(f"{url}/outcome", json={"kind": "terminated"}, headers=officer)
    assert first.status_code == 201
    again = await registry.client.post(f"{url}/outcome", json={"kind": "terminated", "note": "改"}, headers=officer)
    assert again.status_code == 409
    assert again.json()["type"] == "urn:handover:problem:outcome-recorded"
    assert (await registry.client.get(f"{url}/outcome", headers=registry.admin)).json()["note"] is None
    corrected = await registry.client.post(
        f"{url}/outcome", json={"kind": "terminated", "note": "司法处置终结"}, headers=registry.admin
    )
    assert corrected.status_code == 200
    assert corrected.json()["note"] == "司法处置终结"
    assert await registry.count(Outcome) == 1
    audit = (await registry.client.get("/v1/audit", params={"entity_id": project["id"]}, headers=registry.admin)).json()
    replace = next(e for e in audit["items"] if e["entity"] == "outcome" and e["action"] == "replace")
    assert replace["before"]["note"] is None
    assert replace["after"]["note"] == "司法处置终结"


async def test_bad_outcomes_are_problems_and_change_nothing(registry: Registry, today: date) -> None:
    contract = today - timedelta(days=30)
    project = await delivered_project(registry, contract_delivery_date=contract.isoformat())
    url = f"/v1/projects/{project['id']}/outcome"
    cases = [
        ({"kind": "delivered_on_time"}, 422, "#/body/delivered_on"),
        ({"kind": "delivered_on_time", "delivered_on": today.isoformat()}, 422, "#/body/kind"),
        ({"kind": "delivered_late", "delivered_on": (contract - timedelta(days=1)).isoformat()}, 422, "#/body/kind"),
        ({"kind": "delivered_late", "delivered_on": (today + timedelta(days=1)).isoformat()}, 422, None),
        ({"kind": "terminated", "delivered_on": today.isoformat()}, 422, "#/body/delivered_on"),
        ({"kind": "terminated"}, 409, None),
        ({"kind": "abandoned"}, 422, "#/body/kind"),
    ]
    for body, status, pointer in cases:
        response = await registry.client.post(url, json=body, headers=registry.admin)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        if pointer:
            assert pointer in [e["pointer"] for e in response.json()["errors"]], (body, response.json())
    assert await registry.count(Outcome) == 0
    late = await registry.client.post(
        url, json={"kind": "delivered_late", "delivered_on": today.isoformat()}, headers=registry.admin
    )
    assert late.status_code == 201


async def test_outcome_waits_for_the_status_that_matches_it(registry: Registry, today: date) -> None:
    project = await registry.project()
    response = await registry.client.post(
        f"/v1/projects/{project['id']}/outcome",
        json={"kind": "delivered_on_time", "delivered_on": today.isoformat()},
        headers=registry.admin,
    )
    assert response.status_code == 409
    assert response.json()["type"] == "urn:handover:problem:outcome-status-mismatch"
    assert await registry.count(Outcome) == 0

"""Disputes: recorded, resolved and reopened, each change of what risk counts announced; bad ones change nothing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.registry.conftest import Registry


def dispute(today: date, **overrides: Any) -> dict[str, Any]:
    return {
        "kind": "petition",
        "opened_on": (today - timedelta(days=3)).isoformat(),
        "summary": "业主联名信访，反映停工",
        **overrides,
    }


async def test_create_read_and_list(registry: Registry, today: date) -> None:
    project = await registry.project()
    url = f"/v1/projects/{project['id']}/disputes"
    response = await registry.client.post(url, json=dispute(today), headers=registry.admin)
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"/v1/disputes/{created['id']}"
    assert created["kind"] == "petition"
    assert created["resolved_on"] is None
    assert (await registry.client.get(response.headers["location"], headers=registry.admin)).json() == created
    assert await registry.facts_events(project["id"]) == 2
    older = dispute(today, kind="group_incident", opened_on=(today - timedelta(days=40)).isoformat(), resolved_on=None)
    assert (await registry.client.post(url, json=older, headers=registry.admin)).status_code == 201
    listed = (await registry.client.get(url, headers=registry.admin)).json()
    assert [d["kind"] for d in listed["items"]] == ["petition", "group_incident"]
    page = (await registry.client.get(url, params={"limit": 1}, headers=registry.admin)).json()
    rest = (
        await registry.client.get(url, params={"limit": 1, "cursor": page["next_cursor"]}, headers=registry.admin)
    ).json()
    assert [d["kind"] for d in page["items"] + rest["items"]] == ["petition", "group_incident"]
    only = (await registry.client.get(url, params={"kind": "group_incident"}, headers=registry.admin)).json()
    assert [d["kind"] for d in only["items"]] == ["group_incident"]


async def test_resolve_and_reopen_announce_but_a_summary_edit_does_not(registry: Registry, today: date) -> None:
    project = await registry.project()
    created = (
        await registry.client.post(
            f"/v1/projects/{project['id']}/disputes", json=dispute(today), headers=registry.admin
        )
    ).json()
    url = f"/v1/disputes/{created['id']}"
    resolved = await registry.client.patch(url, json={"resolved_on": today.isoformat()}, headers=registry.admin)
    assert resolved.status_code == 200
    assert resolved.json()["resolved_on"] == today.isoformat()
    assert await registry.facts_events(project["id"]) == 3
    edited = await registry.client.patch(url, json={"summary": "已协调解决"}, headers=registry.admin)
    assert edited.json()["summary"] == "已协调解决"
    assert await registry.facts_events(project["id"]) == 3
    unchanged = await registry.client.patch(url, json={"summary": "已协调解决"}, headers=registry.admin)
    assert unchanged.status_code == 200
    reopened = await registry.client.patch(url, json={"resolved_on": None}, headers=registry.admin)
    assert reopened.json()["resolved_on"] is None
    assert await registry.facts_events(project["id"]) == 4
    filtered = (
        await registry.client.get(
            f"/v1/projects/{project['id']}/disputes", params={"resolved": "false"}, headers=registry.admin
        )
    ).json()
    assert [d["id"] for d in filtered["items"]] == [created["id"]]
    audit = (await registry.client.get("/v1/audit", params={"entity_id": created["id"]}, headers=registry.admin)).json()
    assert [e["action"] for e in audit["items"]] == ["update", "update", "update", "create"]


async def test_bad_disputes_are_problems_and_change_nothing(registry: Registry, today: date) -> None:
    project = await registry.project()
    url = f"/v1/projects/{project['id']}/disputes"
    tomorrow = (today + timedelta(days=1)).isoformat()
    cases = [
        (dispute(today, kind="riot"), "#/body/kind"),
        (dispute(today, opened_on=tomorrow), "#/body/opened_on"),
        (dispute(today, resolved_on=tomorrow), "#/body/resolved_on"),
        (dispute(today, resolved_on=(today - timedelta(days=10)).isoformat()), "#/body/resolved_on"),
        (dispute(today, opened_on="2025-02-30"), "#/body/opened_on"),
        (dispute(today, summary=""), "#/body/summary"),
        (dispute(today, opened_on=0), "#/body/opened_on"),
        (dispute(today, opened_on="20250102"), "#/body/opened_on"),
    ]
    for body, pointer in cases:
        response = await registry.client.post(url, json=body, headers=registry.admin)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert pointer in [e["pointer"] for e in response.json()["errors"]], (body, response.json())
    assert await registry.count("disputes") == 0
    assert await registry.facts_events(project["id"]) == 1


async def test_bad_updates_are_problems_and_change_nothing(registry: Registry, today: date) -> None:
    project = await registry.project()
    created = (
        await registry.client.post(
            f"/v1/projects/{project['id']}/disputes", json=dispute(today), headers=registry.admin
        )
    ).json()
    url = f"/v1/disputes/{created['id']}"
    for body, pointer in [
        ({"resolved_on": (today - timedelta(days=30)).isoformat()}, "#/body/resolved_on"),
        ({"resolved_on": (today + timedelta(days=2)).isoformat()}, "#/body/resolved_on"),
        ({"kind": None}, "#/body/kind"),
        ({"opened_on": today.isoformat()}, "#/body/opened_on"),
    ]:
        response = await registry.client.patch(url, json=body, headers=registry.admin)
        assert response.status_code == 422, (body, response.text)
        assert pointer in [e["pointer"] for e in response.json()["errors"]], (body, response.json())
    assert (await registry.client.get(url, headers=registry.admin)).json() == created
    assert await registry.facts_events(project["id"]) == 2
    missing = await registry.client.patch(
        "/v1/disputes/00000000-0000-0000-0000-000000000000", json={"summary": "x"}, headers=registry.admin
    )
    assert missing.status_code == 404

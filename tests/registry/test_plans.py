"""One plan per project, versioned; lagging against the current plan's milestones."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.common import clock
from services.registry.models import OUTBOX, Milestone, Plan
from tests.registry.conftest import Registry
from tests.support import factories


def day(offset: int) -> str:
    """The day ``offset`` days from the city's today, read when the test runs."""
    return (clock.today() + timedelta(days=offset)).isoformat()


def milestone(offset: int, pct: str, **overrides: Any) -> dict[str, Any]:
    return {"name": f"节点{offset}", "planned_date": day(offset), "planned_progress_pct": pct, **overrides}


def plan(*milestones: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return {
        "disposal_path": "merger_acquisition",
        "measures": "引入国企并购，续建主体结构",
        "responsible_party": "东湖区住建局",
        "milestones": list(milestones),
        **overrides,
    }


async def put(registry: Registry, project_id: str, body: dict[str, Any]) -> Any:
    return await registry.client.put(f"/v1/projects/{project_id}/plan", json=body, headers=registry.admin)


async def test_put_adds_versions_and_the_latest_is_current(registry: Registry) -> None:
    project = await registry.project()
    url = f"/v1/projects/{project['id']}/plan"
    assert (await registry.client.get(url, headers=registry.admin)).status_code == 404
    first = await put(registry, project["id"], plan(milestone(-30, "30"), milestone(60, "70.5")))
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["version"], body["current"]) == (1, True)
    assert [m["planned_progress_pct"] for m in body["milestones"]] == ["30.0", "70.5"]
    assert first.headers["content-location"] == f"{url}/versions/1"
    second = await put(registry, project["id"], plan(milestone(90, "80"), disposal_path="government_takeover"))
    assert (second.json()["version"], second.json()["current"]) == (2, True)
    current = (await registry.client.get(url, headers=registry.admin)).json()
    assert current == second.json()
    versions = (await registry.client.get(f"{url}/versions", headers=registry.admin)).json()
    assert [(v["version"], v["current"]) for v in versions["items"]] == [(2, True), (1, False)]
    old = (await registry.client.get(f"{url}/versions/1", headers=registry.admin)).json()
    assert old["disposal_path"] == "merger_acquisition"
    assert old["current"] is False
    assert (await registry.client.get(f"{url}/versions/3", headers=registry.admin)).status_code == 404
    events = await registry.count(OUTBOX.events, OUTBOX.events.c.project_id == project["id"])
    assert events == 3


async def test_repeating_a_put_adds_no_version(registry: Registry) -> None:
    project = await registry.project()
    body = plan(milestone(-10, "45"), milestone(30, "60.0"))
    first = (await put(registry, project["id"], body)).json()
    repeat = await put(registry, project["id"], {**body, "milestones": [milestone(-10, "45.0"), milestone(30, "60")]})
    assert repeat.status_code == 200
    assert repeat.json() == first
    assert await registry.count(Plan) == 1
    assert await registry.count(OUTBOX.events, OUTBOX.events.c.project_id == project["id"]) == 2


async def test_versions_page(registry: Registry) -> None:
    project = await registry.project()
    for n in range(3):
        await put(registry, project["id"], plan(milestone(n, "10")))
    url = f"/v1/projects/{project['id']}/plan/versions"
    first = (await registry.client.get(url, params={"limit": 2}, headers=registry.admin)).json()
    second = (
        await registry.client.get(url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=registry.admin)
    ).json()
    assert [v["version"] for v in first["items"] + second["items"]] == [3, 2, 1]
    assert second["next_cursor"] is None


async def test_bad_plans_are_problems_and_change_nothing(registry: Registry) -> None:
    project = await registry.project()
    cases = [
        (plan(milestone(10, "50"), milestone(20, "40")), "#/body/milestones/1/planned_progress_pct"),
        (plan(milestone(20, "40"), milestone(10, "50")), "#/body/milestones/1/planned_date"),
        (plan(milestone(10, "100.5")), "#/body/milestones/0/planned_progress_pct"),
        (plan(milestone(-5, "10", actual_date=day(1))), "#/body/milestones/0/actual_date"),
        (plan(disposal_path="wishful_thinking"), "#/body/disposal_path"),
        (plan(measures=""), "#/body/measures"),
    ]
    for body, pointer in cases:
        response = await put(registry, project["id"], body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert pointer in [e["pointer"] for e in response.json()["errors"]], (body, response.json())
    assert await registry.count(Plan) == 0
    assert await registry.count(Milestone) == 0
    assert await registry.count(OUTBOX.events, OUTBOX.events.c.project_id == project["id"]) == 1


async def test_lagging_filter_follows_the_current_plan(registry: Registry) -> None:
    developer = await registry.developer()

    async def project(code: str, progress: str) -> dict[str, Any]:
        return await registry.project(developer_id=developer["id"], code=code, progress_pct=progress)

    behind = await project("L-1", "40.0")
    await put(registry, behind["id"], plan(milestone(-20, "30"), milestone(-1, "60"), milestone(30, "90")))
    within_margin = await project("L-2", "40.0")
    await put(registry, within_margin["id"], plan(milestone(-1, "50")))
    not_yet_due = await project("L-3", "10.0")
    await put(registry, not_yet_due["id"], plan(milestone(1, "90")))
    await project("L-4", "0.0")
    caught_up = await project("L-5", "40.0")
    await put(registry, caught_up["id"], plan(milestone(-1, "80")))
    await put(registry, caught_up["id"], plan(milestone(-1, "45")))

    async def codes(lagging: str, **params: str) -> list[str]:
        response = await registry.client.get(
            "/v1/projects", params={"lagging": lagging, **params}, headers=registry.admin
        )
        assert response.status_code == 200, response.text
        return [p["code"] for p in response.json()["items"]]

    assert await codes("true") == ["L-1"]
    assert await codes("false") == ["L-2", "L-3", "L-4", "L-5"]
    assert await codes("true", district=factories.OTHER_DISTRICT) == []


async def test_lagging_margin_is_a_setting(registry_settings: Any) -> None:
    from services.registry.app import create_registry_app
    from tests.support.apps import running

    settings = registry_settings(lagging_margin_pct="25")
    app = create_registry_app(settings)
    async with running(app) as client:
        registry = Registry(client, settings.database_url, app)
        project = await registry.project(progress_pct="40.0")
        await put(registry, project["id"], plan(milestone(-1, "60")))
        response = await client.get("/v1/projects", params={"lagging": "true"}, headers=registry.admin)
        assert response.json()["items"] == []
        await put(registry, project["id"], plan(milestone(-1, "65.5")))
        response = await client.get("/v1/projects", params={"lagging": "true"}, headers=registry.admin)
        assert [p["id"] for p in response.json()["items"]] == [project["id"]]

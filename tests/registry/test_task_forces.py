"""Each project's task force (工作专班): versioned and audited like the plan; the project shows its current
leader (包保领导) and the list filters by it; district officers see and change their own district's only."""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa

from services.demo import Demo
from services.registry.models import OUTBOX, TaskForce
from tests.registry.conftest import Registry
from tests.support import factories
from tests.support.apps import auth

MISSING = "00000000-0000-4000-8000-000000000000"


def task_force(leader: str = "李明", title: str = "东湖区副区长", **overrides: Any) -> dict[str, Any]:
    return {
        "leader": {"name": leader, "title": title},
        "lead_unit": "东湖区住建局",
        "members": [
            {"name": "王强", "unit": "东湖区住建局", "role": "专班联络员"},
            {"name": "赵敏", "unit": "东湖区自然资源局", "role": "审批协调"},
        ],
        "departments": ["东湖区住建局", "东湖区自然资源局"],
        **overrides,
    }


def officer(district: str = factories.DISTRICT) -> dict[str, str]:
    return auth("district_officer", district=district)


async def put(registry: Registry, project_id: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return await registry.client.put(
        f"/v1/projects/{project_id}/task-force", json=body, headers=headers or registry.admin
    )


async def audit_of(registry: Registry, **params: str) -> list[dict[str, Any]]:
    answer = await registry.client.get("/v1/audit", params=params, headers=registry.admin)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


async def test_put_adds_versions_keeps_history_and_shows_the_leader_on_the_project(registry: Registry) -> None:
    project = await registry.project()
    url = f"/v1/projects/{project['id']}/task-force"
    assert (await registry.client.get(url, headers=registry.admin)).status_code == 404
    assert (project["task_force_leader_name"], project["task_force_leader_title"]) == (None, None)

    first = await put(registry, project["id"], task_force())
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["version"], body["current"]) == (1, True)
    assert body["leader"] == {"name": "李明", "title": "东湖区副区长"}
    assert body["members"] == task_force()["members"]
    assert body["departments"] == ["东湖区住建局", "东湖区自然资源局"]
    assert first.headers["content-location"] == f"{url}/versions/1"

    read = await registry.client.get(f"/v1/projects/{project['id']}", headers=registry.admin)
    assert (read.json()["task_force_leader_name"], read.json()["task_force_leader_title"]) == ("李明", "东湖区副区长")
    assert read.headers["etag"] == f'"{project["version"] + 1}"'

    second = await put(registry, project["id"], task_force("陈刚", "东湖区区长", departments=["东湖区财政局"]))
    assert (second.json()["version"], second.json()["current"]) == (2, True)
    assert (await registry.client.get(url, headers=registry.admin)).json() == second.json()
    versions = (await registry.client.get(f"{url}/versions", headers=registry.admin)).json()
    assert [(v["version"], v["current"], v["leader"]["name"]) for v in versions["items"]] == [
        (2, True, "陈刚"),
        (1, False, "李明"),
    ]
    old = (await registry.client.get(f"{url}/versions/1", headers=registry.admin)).json()
    assert (old["leader"]["name"], old["current"], old["departments"]) == ("李明", False, task_force()["departments"])
    assert (await registry.client.get(f"{url}/versions/3", headers=registry.admin)).status_code == 404
    read = (await registry.client.get(f"/v1/projects/{project['id']}", headers=registry.admin)).json()
    assert (read["task_force_leader_name"], read["task_force_leader_title"]) == ("陈刚", "东湖区区长")
    assert read["version"] == project["version"] + 2


async def test_every_version_is_audited_and_a_new_leader_changes_the_project(registry: Registry) -> None:
    project = await registry.project()
    first = (await put(registry, project["id"], task_force())).json()
    # Same leader, one member more: a new task force version, the project itself unchanged.
    members = [*task_force()["members"], {"name": "孙丽", "unit": "东湖区财政局", "role": "资金监管"}]
    second = (await put(registry, project["id"], task_force(members=members))).json()
    assert second["version"] == 2

    created = await audit_of(registry, project_id=project["id"])
    task_force_rows = [e for e in created if e["entity"] == "task_force"]
    expected = [(second["id"], "create"), (first["id"], "create")]
    assert [(e["entity_id"], e["action"]) for e in task_force_rows] == expected
    assert task_force_rows[0]["after"]["version"] == 2
    assert task_force_rows[0]["after"]["members"][-1] == {"name": "孙丽", "unit": "东湖区财政局", "role": "资金监管"}
    assert task_force_rows[1]["after"]["leader"] == {"name": "李明", "title": "东湖区副区长"}
    project_rows = [e for e in created if e["entity"] == "project" and e["action"] == "update"]
    assert len(project_rows) == 1  # only the first PUT named a (new) leader
    assert project_rows[0]["before"] == {"task_force_leader_name": None, "task_force_leader_title": None}
    assert project_rows[0]["after"] == {"task_force_leader_name": "李明", "task_force_leader_title": "东湖区副区长"}
    assert await registry.facts_events(project["id"]) == 2  # created, then the leader named
    read = (await registry.client.get(f"/v1/projects/{project['id']}", headers=registry.admin)).json()
    assert read["version"] == project["version"] + 1


async def test_repeating_a_put_adds_no_version(registry: Registry) -> None:
    project = await registry.project()
    first = (await put(registry, project["id"], task_force())).json()
    repeat = await put(registry, project["id"], task_force())
    assert repeat.status_code == 200
    assert repeat.json() == first
    assert await registry.count(TaskForce) == 1
    assert len([e for e in await audit_of(registry, project_id=project["id"]) if e["entity"] == "task_force"]) == 1
    assert await registry.count(OUTBOX.events, OUTBOX.events.c.project_id == project["id"]) == 2


async def test_versions_page(registry: Registry) -> None:
    project = await registry.project()
    for n in range(3):
        assert (await put(registry, project["id"], task_force(f"领导{n}"))).status_code == 200
    url = f"/v1/projects/{project['id']}/task-force/versions"
    first = (await registry.client.get(url, params={"limit": 2}, headers=registry.admin)).json()
    second = (
        await registry.client.get(url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=registry.admin)
    ).json()
    assert [v["version"] for v in first["items"]] == [3, 2]
    assert [v["version"] for v in second["items"]] == [1]
    assert second["next_cursor"] is None


async def test_bad_task_forces_are_problems_and_change_nothing(registry: Registry) -> None:
    project = await registry.project()
    twice = {"name": "王强", "unit": "东湖区住建局", "role": "另一分工"}
    cases = [
        (task_force(members=[*task_force()["members"], twice]), "#/body/members/2"),
        (task_force(departments=["东湖区财政局", "东湖区财政局"]), "#/body/departments/1"),
        (task_force(leader=""), "#/body/leader/name"),
        (task_force(title="x" * 201), "#/body/leader/title"),
        (task_force(lead_unit=""), "#/body/lead_unit"),
        (task_force(members=[{"name": "王强", "unit": "东湖区住建局"}]), "#/body/members/0/role"),
        ({**task_force(), "budget": "1"}, "#/body/budget"),
    ]
    for body, pointer in cases:
        response = await put(registry, project["id"], body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert pointer in [e["pointer"] for e in response.json()["errors"]], (body, response.json())
    assert await registry.count(TaskForce) == 0
    assert [e["entity"] for e in await audit_of(registry, project_id=project["id"])] == ["project"]
    assert await registry.count(OUTBOX.events, OUTBOX.events.c.project_id == project["id"]) == 1
    read = (await registry.client.get(f"/v1/projects/{project['id']}", headers=registry.admin)).json()
    assert (read["task_force_leader_name"], read["version"]) == (None, project["version"])


async def test_the_list_filters_by_leader(registry: Registry) -> None:
    developer = await registry.developer()
    a = await registry.project(developer_id=developer["id"], code="TF-A")
    b = await registry.project(developer_id=developer["id"], code="TF-B")
    c = await registry.project(developer_id=developer["id"], code="TF-C", district=factories.OTHER_DISTRICT)
    await registry.project(developer_id=developer["id"], code="TF-D")
    for project, leader in ((a, "李明"), (b, "陈刚"), (c, "李明")):
        assert (await put(registry, project["id"], task_force(leader))).status_code == 200

    async def codes(headers: dict[str, str], **params: str) -> list[str]:
        answer = await registry.client.get("/v1/projects", params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        return [p["code"] for p in answer.json()["items"]]

    assert await codes(registry.admin, leader="李明") == ["TF-A", "TF-C"]
    assert await codes(registry.admin, leader="陈刚") == ["TF-B"]
    assert await codes(registry.admin, leader="李") == []  # a name, not a part of one
    assert await codes(registry.admin, leader="李明", district=factories.OTHER_DISTRICT) == ["TF-C"]
    assert await codes(officer(), leader="李明") == ["TF-A"]
    listed = (await registry.client.get("/v1/projects", params={"leader": "陈刚"}, headers=registry.admin)).json()
    assert listed["items"][0]["task_force_leader_title"] == "东湖区副区长"
    # A new version with a new leader moves the project from one leader's list to the other's.
    assert (await put(registry, a["id"], task_force("陈刚"))).status_code == 200
    assert await codes(registry.admin, leader="李明") == ["TF-C"]
    assert await codes(registry.admin, leader="陈刚") == ["TF-A", "TF-B"]
    too_long = await registry.client.get("/v1/projects", params={"leader": "x" * 101}, headers=registry.admin)
    assert too_long.status_code == 422


async def test_officers_see_and_change_their_own_districts_task_forces_only(registry: Registry) -> None:
    own = await registry.project(district=factories.DISTRICT)
    other = await registry.project(district=factories.OTHER_DISTRICT)
    assert (await put(registry, other["id"], task_force("外区领导"))).status_code == 200

    mine = await put(registry, own["id"], task_force(), headers=officer())
    assert mine.status_code == 200, mine.text
    assert mine.json()["created_by"]
    assert (await registry.client.get(f"/v1/projects/{own['id']}/task-force", headers=officer())).status_code == 200

    base = f"/v1/projects/{other['id']}/task-force"
    for path in (base, f"{base}/versions", f"{base}/versions/1"):
        response = await registry.client.get(path, headers=officer())
        assert response.status_code == 404, (path, response.text)
        # The answer is the one for an id that does not exist: nothing tells the officer the project is there.
        absent = await registry.client.get(path.replace(other["id"], MISSING), headers=officer())
        assert (response.json()["type"], response.json()["detail"]) == (absent.json()["type"], absent.json()["detail"])
    refused = await put(registry, other["id"], task_force("越权"), headers=officer())
    assert refused.status_code == 404
    assert refused.json()["type"] == (await put(registry, MISSING, task_force(), headers=officer())).json()["type"]
    # Nothing changed on the other district's project.
    assert await registry.count(TaskForce, TaskForce.project_id == other["id"]) == 1
    read = (await registry.client.get(f"/v1/projects/{other['id']}", headers=registry.admin)).json()
    assert read["task_force_leader_name"] == "外区领导"
    # A viewer reads but may not change.
    viewer = auth("viewer")
    assert (await registry.client.get(base, headers=viewer)).status_code == 200
    assert (await put(registry, other["id"], task_force("旁观"), headers=viewer)).status_code == 403


async def test_the_demo_city_has_task_forces_some_with_a_second_leader(registry: Registry) -> None:
    # Fixed codes: the demo draws each project's task force from its code, so the test is the same every run.
    projects = [await registry.project(district=("990101", "990102")[i % 2], code=f"DEMO-{i:04d}") for i in range(12)]
    demo = Demo("http://registry.test", "http://financing.test", seed=7, projects=len(projects))
    await demo.registry.aclose()
    demo.registry = registry.client
    for project in projects:
        await demo.task_force(project)
    await demo.financing.aclose()
    versions = Counter(project_id for (project_id,) in await registry.rows(sa.select(TaskForce.project_id)))
    assert set(versions) == {p["id"] for p in projects}
    assert set(versions.values()) == {1, 2}
    listed = (await registry.client.get("/v1/projects", params={"limit": 100}, headers=registry.admin)).json()
    assert all(p["task_force_leader_name"] for p in listed["items"])

from __future__ import annotations

import asyncio

from services.registry.models import Stall
from tests.registry.conftest import Registry
from tests.support import factories
from tests.support.apps import auth


async def test_create_returns_201_location_and_etag(registry: Registry) -> None:
    developer = await registry.developer()
    payload = factories.project(developer["id"])
    response = await registry.client.post("/v1/projects", json=payload, headers=registry.admin)
    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"/v1/projects/{body['id']}"
    assert response.headers["etag"] == '"1"'
    assert body["remaining_cost"] == "125000000.00"
    assert body["risk_tier"] is None
    fetched = await registry.client.get(response.headers["location"], headers=registry.admin)
    assert fetched.status_code == 200
    assert fetched.json() == body
    assert await registry.facts_events(body["id"]) == 1


async def test_duplicate_code_is_409_and_changes_nothing(registry: Registry) -> None:
    first = await registry.project()
    payload = factories.project(first["developer_id"], code=first["code"])
    response = await registry.client.post("/v1/projects", json=payload, headers=registry.admin)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert await registry.count("projects") == 1


async def test_bad_input_is_problem_json_and_changes_nothing(registry: Registry) -> None:
    developer = await registry.developer()
    cases = [
        ({"sold_units": 900}, "#/body/sold_units"),
        ({"progress_pct": "100.5"}, "#/body/progress_pct"),
        ({"progress_pct": "-1"}, "#/body/progress_pct"),
        ({"remaining_cost": 12.5}, "#/body/remaining_cost"),
        ({"remaining_cost": "12.345"}, "#/body/remaining_cost"),
        ({"district": "000000"}, "#/body/district"),
        ({"status": "closed"}, "#/body/status"),
        ({"unknown_field": 1}, "#/body/unknown_field"),
    ]
    for overrides, pointer in cases:
        response = await registry.client.post(
            "/v1/projects", json=factories.project(developer["id"], **overrides), headers=registry.admin
        )
        assert response.status_code == 422, (overrides, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["status"] == 422
        assert pointer in [e["pointer"] for e in body["errors"]], (overrides, body)
    assert await registry.count("projects") == 0
    assert await registry.count("outbox_events") == 0


async def test_malformed_json_and_oversized_body(registry: Registry) -> None:
    response = await registry.client.post(
        "/v1/projects", content=b'{"code": ', headers={**registry.admin, "content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["type"] == "urn:handover:problem:malformed-json"
    big = b'{"name": "' + b"x" * 1_100_000 + b'"}'
    response = await registry.client.post(
        "/v1/projects", content=big, headers={**registry.admin, "content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert await registry.count("projects") == 0


async def test_status_machine_refuses_illegal_transition(registry: Registry) -> None:
    project = await registry.project(status="registered")
    url = f"/v1/projects/{project['id']}"
    response = await registry.client.patch(url, json={"status": "delivered"}, headers=registry.admin)
    assert response.status_code == 409
    assert response.json()["type"] == "urn:handover:problem:illegal-transition"
    assert (await registry.client.get(url, headers=registry.admin)).json()["status"] == "registered"
    for status in ("under_construction", "stalled", "under_construction", "completed", "delivered", "closed"):
        response = await registry.client.patch(url, json={"status": status}, headers=registry.admin)
        assert response.status_code == 200, (status, response.text)
    assert response.json()["version"] == 7
    response = await registry.client.patch(url, json={"status": "under_construction"}, headers=registry.admin)
    assert response.status_code == 409


async def test_stall_by_patch_sets_and_clears_stall_start(registry: Registry) -> None:
    project = await registry.project()
    url = f"/v1/projects/{project['id']}"
    stalled = (await registry.client.patch(url, json={"status": "stalled"}, headers=registry.admin)).json()
    assert stalled["stall_started_on"] is not None
    resumed = (await registry.client.patch(url, json={"status": "under_construction"}, headers=registry.admin)).json()
    assert resumed["stall_started_on"] is None
    assert await registry.count(Stall, Stall.ended_on.is_not(None)) == 1


async def test_if_match_two_patches_one_wins(registry: Registry) -> None:
    project = await registry.project()
    url = f"/v1/projects/{project['id']}"
    read = await registry.client.get(url, headers=registry.admin)
    tag = read.headers["etag"]
    first, second = await asyncio.gather(
        registry.client.patch(url, json={"name": "甲"}, headers={**registry.admin, "If-Match": tag}),
        registry.client.patch(url, json={"name": "乙"}, headers={**registry.admin, "If-Match": tag}),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 412]
    winner = first if first.status_code == 200 else second
    loser = second if winner is first else first
    assert loser.headers["content-type"] == "application/problem+json"
    final = (await registry.client.get(url, headers=registry.admin)).json()
    assert final["name"] == winner.json()["name"]
    assert final["version"] == 2


async def test_list_filters_and_pages(registry: Registry) -> None:
    developer = await registry.developer()
    for i in range(7):
        await registry.project(developer_id=developer["id"], code=f"A-{i:02d}", district=factories.DISTRICT)
    for i in range(3):
        await registry.project(developer_id=developer["id"], code=f"B-{i:02d}", district=factories.OTHER_DISTRICT)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, "district": factories.DISTRICT}
        if cursor:
            params["cursor"] = cursor
        page = (await registry.client.get("/v1/projects", params=params, headers=registry.admin)).json()
        seen += [p["code"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"A-{i:02d}" for i in range(7)]
    by_q = (await registry.client.get("/v1/projects", params={"q": "b-0"}, headers=registry.admin)).json()
    assert sorted(p["code"] for p in by_q["items"]) == ["B-00", "B-01", "B-02"]
    desc = (
        await registry.client.get("/v1/projects", params={"sort": "-code", "limit": 2}, headers=registry.admin)
    ).json()
    assert [p["code"] for p in desc["items"]] == ["B-02", "B-01"]
    bad = await registry.client.get("/v1/projects", params={"cursor": "not-a-cursor"}, headers=registry.admin)
    assert bad.status_code == 400


async def test_delivered_units_never_decrease(registry: Registry) -> None:
    project = await registry.project()
    url = f"/v1/projects/{project['id']}"
    assert (await registry.client.patch(url, json={"delivered_units": 100}, headers=registry.admin)).status_code == 200
    response = await registry.client.patch(url, json={"delivered_units": 50}, headers=registry.admin)
    assert response.status_code == 422
    assert (await registry.client.get(url, headers=registry.admin)).json()["delivered_units"] == 100


async def test_audit_log_records_before_and_after(registry: Registry) -> None:
    project = await registry.project()
    url = f"/v1/projects/{project['id']}"
    renamed = await registry.client.patch(url, json={"name": "新名称"}, headers=auth("city_admin", sub="alice"))
    assert renamed.status_code == 200, renamed.text
    log = (await registry.client.get("/v1/audit", params={"project_id": project["id"]}, headers=registry.admin)).json()
    update = log["items"][0]
    assert update["action"] == "update"
    assert update["actor"] == "alice"
    assert update["before"] == {"name": project["name"]}
    assert update["after"] == {"name": "新名称"}
    officer = auth("district_officer", district=factories.DISTRICT)
    assert (await registry.client.get("/v1/audit", headers=officer)).status_code == 403


async def test_query_strings_are_closed(registry: Registry) -> None:
    misspelt = await registry.client.get("/v1/projects", params={"distrct": "990101"}, headers=registry.admin)
    assert misspelt.status_code == 422
    assert misspelt.json()["errors"] == [{"pointer": "#/query/distrct", "detail": "unknown query parameter"}]
    twice = await registry.client.get(
        "/v1/projects", params=[("status", "stalled"), ("status", "registered")], headers=registry.admin
    )
    assert twice.status_code == 422
    assert twice.json()["errors"][0]["pointer"] == "#/query/status"

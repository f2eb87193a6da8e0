"""Who may see and change what: a district officer only its district (others' projects are 404), a viewer only
reads, a bank has no business here, and a missing, bad or expired token is 401."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import time_machine

from services.common import clock
from services.registry.calendar.shipped import official_years
from tests.registry.conftest import Registry
from tests.support import factories
from tests.support.apps import auth, token
from tests.support.days import week

MISSING = "00000000-0000-4000-8000-000000000000"


def report(today: date) -> dict[str, Any]:
    return {"week": week(today), "progress_pct": "50.0", "working": False, "workers_on_site": 0}


def dispute(today: date) -> dict[str, Any]:
    return {"kind": "petition", "opened_on": today.isoformat()}


def plan(today: date) -> dict[str, Any]:
    return {
        "disposal_path": "government_takeover",
        "measures": "政府代建",
        "responsible_party": "区住建局",
        "milestones": [{"name": "复工", "planned_date": today.isoformat(), "planned_progress_pct": "60"}],
    }


TABLES = (
    "progress_reports",
    "report_months",
    "stalls",
    "disputes",
    "plans",
    "milestones",
    "outcomes",
    "calendar_years",
    "audit_log",
    "outbox_events",
)


def officer() -> dict[str, str]:
    """An officer of the home district, with a token minted now (not when the module was imported)."""
    return auth("district_officer", district=factories.DISTRICT)


def _without_instance(problem: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in problem.items() if k != "instance"}


async def snapshot(registry: Registry) -> dict[str, int]:
    return {table: await registry.count(table) for table in TABLES}


async def foreign_project(registry: Registry, today: date) -> dict[str, Any]:
    """A project of another district, with a dispute and a plan."""
    project = await registry.project(district=factories.OTHER_DISTRICT)
    pid = project["id"]
    created = await registry.client.post(f"/v1/projects/{pid}/disputes", json=dispute(today), headers=registry.admin)
    project["dispute_id"] = created.json()["id"]
    assert (
        await registry.client.put(f"/v1/projects/{pid}/plan", json=plan(today), headers=registry.admin)
    ).status_code == 200
    return project


async def test_officer_cannot_read_another_districts_project(registry: Registry, today: date) -> None:
    project = await foreign_project(registry, today)
    own = await registry.project(district=factories.DISTRICT)
    pid = project["id"]
    for path in (
        f"/v1/projects/{pid}",
        f"/v1/projects/{pid}/progress-reports",
        f"/v1/projects/{pid}/progress-reports/{week(today)}",
        f"/v1/projects/{pid}/disputes",
        f"/v1/disputes/{project['dispute_id']}",
        f"/v1/projects/{pid}/plan",
        f"/v1/projects/{pid}/plan/versions",
        f"/v1/projects/{pid}/plan/versions/1",
        f"/v1/projects/{pid}/outcome",
    ):
        response = await registry.client.get(path, headers=officer())
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
        # The answer is the one for an id that does not exist: nothing tells the officer the project is there.
        absent = await registry.client.get(
            path.replace(pid, MISSING).replace(project["dispute_id"], MISSING), headers=officer()
        )
        assert _without_instance(response.json()) == _without_instance(absent.json()), path
    listed = (await registry.client.get("/v1/projects", headers=officer())).json()
    assert [p["id"] for p in listed["items"]] == [own["id"]]
    asked = await registry.client.get("/v1/projects", params={"district": factories.OTHER_DISTRICT}, headers=officer())
    assert asked.json()["items"] == []
    lagging = await registry.client.get("/v1/projects", params={"lagging": "true"}, headers=officer())
    assert lagging.json()["items"] == []
    facts = await registry.client.post("/v1/risk-facts/query", json={"project_ids": [pid]}, headers=officer())
    assert facts.json()["items"] == []


async def test_officer_cannot_change_or_report_on_another_districts_project(registry: Registry, today: date) -> None:
    project = await foreign_project(registry, today)
    pid = project["id"]
    before = await snapshot(registry)
    url = f"/v1/projects/{pid}"
    for method, path, body in (
        ("PATCH", url, {"name": "改名"}),
        ("POST", f"{url}/progress-reports", report(today)),
        ("POST", f"{url}/disputes", dispute(today)),
        ("PATCH", f"/v1/disputes/{project['dispute_id']}", {"resolved_on": today.isoformat()}),
        ("PUT", f"{url}/plan", {**plan(today), "measures": "别的措施"}),
        ("POST", f"{url}/outcome", {"kind": "terminated"}),
    ):
        response = await registry.client.request(method, path, json=body, headers=officer())
        assert response.status_code == 404, (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert await snapshot(registry) == before
    unchanged = (await registry.client.get(url, headers=registry.admin)).json()
    assert (unchanged["name"], unchanged["status"], unchanged["version"]) == (project["name"], "under_construction", 1)
    registered = await registry.client.post(
        "/v1/projects",
        json=factories.project(project["developer_id"], district=factories.OTHER_DISTRICT),
        headers=officer(),
    )
    assert registered.status_code == 403


async def test_officer_reports_cover_only_its_district(registry: Registry, today: date) -> None:
    project = await registry.project(district=factories.OTHER_DISTRICT)
    assert (
        await registry.client.post(
            f"/v1/projects/{project['id']}/progress-reports", json=report(today), headers=registry.admin
        )
    ).status_code == 201
    weekly = (await registry.client.get("/v1/reports/weekly", params={"week": week(today)}, headers=officer())).json()
    assert [r["district"] for r in weekly["districts"]] == [factories.DISTRICT]
    assert weekly["total"]["projects_reported"] == 0
    monthly = (
        await registry.client.get("/v1/reports/monthly", params={"month": today.strftime("%Y-%m")}, headers=officer())
    ).json()
    assert monthly["stalled_projects"] == []


async def test_viewer_reads_everything_and_writes_nothing(registry: Registry, today: date) -> None:
    project = await foreign_project(registry, today)
    viewer = auth("viewer")
    url = f"/v1/projects/{project['id']}"
    for path in (
        url,
        f"{url}/progress-reports",
        f"{url}/disputes",
        f"{url}/plan",
        f"/v1/disputes/{project['dispute_id']}",
    ):
        assert (await registry.client.get(path, headers=viewer)).status_code == 200, path
    before = await snapshot(registry)
    for method, path, body in (
        ("POST", "/v1/projects", factories.project(project["developer_id"])),
        ("PATCH", url, {"name": "改名"}),
        ("POST", f"{url}/progress-reports", report(today)),
        ("POST", f"{url}/disputes", dispute(today)),
        ("PATCH", f"/v1/disputes/{project['dispute_id']}", {"resolved_on": today.isoformat()}),
        ("PUT", f"{url}/plan", plan(today)),
        ("POST", f"{url}/outcome", {"kind": "terminated"}),
    ):
        response = await registry.client.request(method, path, json=body, headers=viewer)
        assert response.status_code == 403, (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert await snapshot(registry) == before
    assert await registry.count("projects") == 1


async def test_bank_has_no_business_in_the_registry(registry: Registry) -> None:
    project = await registry.project()
    bank = auth("bank", bank="B01")
    for path in (f"/v1/projects/{project['id']}", "/v1/projects", f"/v1/projects/{project['id']}/plan"):
        assert (await registry.client.get(path, headers=bank)).status_code == 403, path


async def test_every_role_reads_the_calendar_and_only_a_city_admin_publishes_it(registry: Registry) -> None:
    next_year = max(official_years()) + 1
    before = await snapshot(registry)
    for headers in (auth("viewer"), officer(), auth("bank", bank="B01"), auth("service")):
        assert (await registry.client.get("/v1/calendar/2026", headers=headers)).status_code == 200
        counted = await registry.client.get(
            "/v1/calendar/working-days", params={"start": "2026-09-28", "add": 15}, headers=headers
        )
        assert counted.json() == {"due_on": "2026-10-23", "estimated": False}
        refused = await registry.client.put(
            f"/v1/calendar/{next_year}", json=factories.calendar_year(next_year), headers=headers
        )
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
    assert await snapshot(registry) == before
    estimate = (await registry.client.get(f"/v1/calendar/{next_year}", headers=registry.admin)).json()
    assert (estimate["official"], estimate["basis"]) == (False, "estimate")


async def test_missing_bad_and_expired_tokens_are_401(registry: Registry, today: date) -> None:
    project = await registry.project()
    url = f"/v1/projects/{project['id']}"
    wrong_secret = token("city_admin", secret="another-secret-entirely-0123456789abcdef")
    expired = token("city_admin", ttl_seconds=-60)
    no_district = token("district_officer")
    before = await snapshot(registry)
    for headers in (
        {},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": f"Bearer {wrong_secret}"},
        {"Authorization": f"Bearer {expired}"},
        {"Authorization": f"Bearer {no_district}"},
    ):
        for method, path, body in (
            ("GET", url, None),
            ("GET", "/v1/projects", None),
            ("POST", f"{url}/progress-reports", report(today)),
            ("PUT", f"{url}/plan", plan(today)),
            ("POST", "/v1/risk-facts/query", {"all": True}),
            ("GET", f"/v1/reports/weekly?week={week(today)}", None),
            ("GET", "/v1/calendar/2026", None),
            ("GET", "/v1/calendar/working-days?start=2026-09-28&add=15", None),
            ("PUT", "/v1/calendar/2027", factories.calendar_year(2027)),
        ):
            response = await registry.client.request(method, path, json=body, headers=headers)
            assert response.status_code == 401, (headers, method, path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["www-authenticate"].startswith("Bearer")
    assert await snapshot(registry) == before
    assert (await registry.client.get("/livez")).status_code == 200


async def test_expired_token_is_401_even_after_it_was_accepted(registry: Registry) -> None:
    project = await registry.project()
    url = f"/v1/projects/{project['id']}"
    issued = clock.now()
    # Whole seconds on both sides, so the token lives exactly its sixty seconds whatever the clock's fraction.
    with time_machine.travel(issued.replace(microsecond=0), tick=False):
        short = {"Authorization": f"Bearer {token('city_admin', ttl_seconds=60)}"}
        assert (await registry.client.get(url, headers=short)).status_code == 200
    with time_machine.travel(issued.replace(microsecond=0) + timedelta(seconds=59), tick=False):
        assert (await registry.client.get(url, headers=short)).status_code == 200
    with time_machine.travel(issued.replace(microsecond=0) + timedelta(seconds=60), tick=False):
        expired = await registry.client.get(url, headers=short)
        assert expired.status_code == 401
        assert expired.json()["detail"] == "The token has expired."
        fresh = auth("city_admin", sub="x", ttl_seconds=600)
        assert (await registry.client.get(url, headers=fresh)).status_code == 200


async def test_an_officer_registers_in_its_own_district_and_admin_claims_confine_nothing(registry: Registry) -> None:
    developer = await registry.developer()
    own = await registry.client.post(
        "/v1/projects", json=factories.project(developer["id"], district=factories.DISTRICT), headers=officer()
    )
    assert own.status_code == 201, own.text
    elsewhere = await registry.client.post(
        "/v1/projects", json=factories.project(developer["id"], district=factories.OTHER_DISTRICT), headers=officer()
    )
    assert (elsewhere.status_code, elsewhere.json()["type"]) == (403, "urn:handover:problem:forbidden")
    other = await registry.project(district=factories.OTHER_DISTRICT)
    # A district claim confines only a district officer.
    stray_admin = auth("city_admin", district=factories.DISTRICT)
    listed = (await registry.client.get("/v1/projects", headers=stray_admin)).json()["items"]
    assert {p["id"] for p in listed} == {own.json()["id"], other["id"]}

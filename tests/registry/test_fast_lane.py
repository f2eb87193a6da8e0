"""The fast lane (ADR 17) answers exactly as the routes it stands in for.

Two apps share one database: the registry as it runs, and the same registry with ``REGISTRY_FAST_LANE=false``
(every request through FastAPI's router). Every request of the corpus goes to both, with the same request id and
an ``Origin`` (so CORS applies), and must get the same status, the same headers in the same order and the same
body. Each request also says whether the lane should have answered it itself, checked on the lane's own counter,
so the comparison cannot pass by the lane never being taken.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

import httpx
import orjson
import pytest
from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from fastapi.routing import APIRoute

from services.common.auth import Principal, Role, require_roles
from services.common.fastlane import Lane
from services.registry.app import create_registry_app
from services.registry.projects.schemas import ProjectSort
from services.registry.scope import READER_ROLES, Reader
from tests.registry.conftest import Registry
from tests.support import factories
from tests.support.apps import LazyAuth, auth, running, token

ORIGIN = "https://ledger.example.gov.cn"
ONE = "/v1/projects/{project_id}"
LIST = "/v1/projects"


@dataclass
class Pair:
    """The registry with its fast lane, the same registry without, and set-up shortcuts on the first."""

    registry: Registry
    plain: httpx.AsyncClient
    plain_app: FastAPI

    def served(self, route: str) -> float:
        """Requests to ``route`` the lane answered itself so far."""
        value = self.registry.app.state.metrics_registry.get_sample_value(
            "http_fast_lane_requests_total", {"route": route, "outcome": "served"}
        )
        return value or 0.0

    async def same(
        self, target: str, headers: dict[str, str] | None, *, lane: bool, method: str = "GET"
    ) -> httpx.Response:
        """Send ``target`` to both apps; their answers must be equal byte for byte, and the lane must have answered
        it itself exactly when ``lane`` says so."""
        route = LIST if target.split("?")[0] == LIST else ONE
        sent = {"X-Request-ID": "fast-lane-equivalence", "Origin": ORIGIN, **(headers or {})}
        before = self.served(route)
        fast = await self.registry.client.request(method, target, headers=sent)
        slow = await self.plain.request(method, target, headers=sent)
        assert fast.status_code == slow.status_code, (target, fast.text, slow.text)
        assert fast.headers.multi_items() == slow.headers.multi_items(), target
        assert fast.content == slow.content, target
        assert self.served(route) - before == (1 if lane else 0), (target, fast.status_code, fast.text)
        return fast


@pytest.fixture
async def pair(registry_settings: Any) -> AsyncIterator[Pair]:
    settings = registry_settings(cors_origins=[ORIGIN])
    lane_app = create_registry_app(settings)
    plain_app = create_registry_app(settings.model_copy(update={"fast_lane": False}))
    async with running(lane_app) as lane, running(plain_app) as plain:
        yield Pair(Registry(lane, settings.database_url, lane_app), plain, plain_app)


# Minted when a request reads them: a token minted at import carries another day's instant in a run at a faked
# one (HANDOVER_TEST_INSTANT) and has expired by then.
ADMIN = LazyAuth(Role.city_admin)
VIEWER = LazyAuth(Role.viewer)
SERVICE = LazyAuth(Role.service)
OFFICER = LazyAuth(Role.district_officer, district=factories.DISTRICT)
OTHER_OFFICER = LazyAuth(Role.district_officer, district=factories.OTHER_DISTRICT)
READERS = [ADMIN, VIEWER, SERVICE, OFFICER, OTHER_OFFICER]


async def _ledger(pair: Pair) -> list[dict[str, Any]]:
    """Projects in two districts, of two developers, with every status, tier, leader, stop-work order and lag the
    list filters on; names holding LIKE's wildcards and its escape."""
    registry = pair.registry
    developers = [(await registry.developer())["id"] for _ in range(2)]
    rows = [
        ("A-1", "锦绣花园一期", factories.DISTRICT, 0, "under_construction", "red", "李明", False),
        ("A-2", "锦绣花园二期", factories.DISTRICT, 0, "under_construction", None, None, True),
        ("A-3", "50%_折扣/花园", factories.DISTRICT, 1, "stalled", "orange", "李明", False),
        ("A-4", "滨江府", factories.DISTRICT, 1, "registered", "green", "陈刚", False),
        ("A-5", "锦绣花园三期", factories.DISTRICT, 0, "completed", "red", None, False),
        ("B-1", "西山花园", factories.OTHER_DISTRICT, 0, "under_construction", "red", "李明", True),
        ("B-2", "西山名苑", factories.OTHER_DISTRICT, 1, "stalled", "yellow", None, False),
        ("B-3", "南岸花园", factories.OTHER_DISTRICT, 0, "delivered", None, "陈刚", False),
    ]
    projects = []
    for code, name, district, developer, status, tier, leader, stop_work in rows:
        project = await registry.project(
            code=code, name=name, district=district, developer_id=developers[developer], progress_pct="40.0"
        )
        await registry.execute(
            "UPDATE projects SET status = :status, risk_tier = :tier, task_force_leader_name = :leader, "
            "stop_work_order = :stop_work WHERE id = :id",
            status=status,
            tier=tier,
            leader=leader,
            stop_work=stop_work,
            id=project["id"],
        )
        projects.append(project)
    # A-1 and B-1 are behind their plans; A-2's plan is within the margin.
    for index, due_pct in ((0, "70"), (5, "90"), (1, "45")):
        plan = {
            "disposal_path": "merger_acquisition",
            "measures": "续建主体结构",
            "responsible_party": "住建局",
            "milestones": [{"name": "主体封顶", "planned_date": "2020-01-01", "planned_progress_pct": due_pct}],
        }
        response = await registry.client.put(
            f"/v1/projects/{projects[index]['id']}/plan", json=plan, headers=registry.admin
        )
        assert response.status_code in (200, 201), response.text
    return projects


async def test_a_project_reads_the_same_for_every_caller(pair: Pair) -> None:
    projects = await _ledger(pair)
    for project, reader in itertools.product(projects, READERS):
        own = ((OFFICER, factories.DISTRICT), (OTHER_OFFICER, factories.OTHER_DISTRICT))
        district = next((district for officer, district in own if reader is officer), project["district"])
        hidden = district != project["district"]
        answer = await pair.same(f"/v1/projects/{project['id']}", reader, lane=not hidden)
        assert answer.status_code == (404 if hidden else 200)
    answer = await pair.same(f"/v1/projects/{projects[0]['id']}", ADMIN, lane=True)
    assert answer.json()["code"] == "A-1"
    assert answer.headers["etag"] == '"1"'
    assert answer.headers["access-control-allow-origin"] == ORIGIN


async def test_what_the_lane_leaves_to_the_read_route(pair: Pair) -> None:
    projects = await _ledger(pair)
    one = projects[0]["id"]
    expired = token(Role.city_admin, ttl_seconds=-60)
    cases: list[tuple[str, dict[str, str] | None, str]] = [
        (f"/v1/projects/{one}", None, "GET"),
        (f"/v1/projects/{one}", {"Authorization": "Bearer not-a-token"}, "GET"),
        (f"/v1/projects/{one}", {"Authorization": f"Bearer {expired}"}, "GET"),
        (f"/v1/projects/{one}", {"Authorization": ADMIN["Authorization"].replace("Bearer", "Basic")}, "GET"),
        (f"/v1/projects/{one}", {"Authorization": "Bearer"}, "GET"),
        (f"/v1/projects/{one}", auth(Role.bank, bank="ICBC"), "GET"),
        (f"/v1/projects/{one}", ADMIN, "HEAD"),
        (f"/v1/projects/{one}", ADMIN, "DELETE"),
        (f"/v1/projects/{one}?limit=1", ADMIN, "GET"),
        (f"/v1/projects/{one}?x", ADMIN, "GET"),
        (f"/v1/projects/{one}/", ADMIN, "GET"),
        (f"/v1/projects/{one[:-1]}", ADMIN, "GET"),
        (f"/v1/projects/{one}0", ADMIN, "GET"),
        ("/v1/projects/00000000-0000-4000-8000-000000000000", ADMIN, "GET"),
        (f"/v1/projects/{one.upper()}", ADMIN, "GET"),
        (f"/v1/projects/{quote('项目' * 18)}", ADMIN, "GET"),
        ("/v1/projects/import", ADMIN, "GET"),
        ("/v1/projects/import/template", ADMIN, "GET"),
    ]
    for target, headers, method in cases:
        await pair.same(target, headers, lane=False, method=method)
    # A token the lane turned away is still answered by the route, and a good one again by the lane.
    await pair.same(f"/v1/projects/{one}", {"Authorization": f"Bearer {expired}"}, lane=False)
    await pair.same(f"/v1/projects/{one}?", {"authorization": ADMIN["Authorization"]}, lane=True)
    await pair.same(f"/v1/projects/{one}", {"Authorization": ADMIN["Authorization"] + "  "}, lane=True)


FILTERS = {
    "district": factories.DISTRICT,
    "status": "under_construction",
    "risk_tier": "red",
    "lagging": None,  # true or false, by the combination
    "developer_id": None,  # the first developer's id
    "q": "花园",
    "leader": "李明",
    "stop_work_order": None,  # true or false, by the combination
}
SORTS = [sort.value for sort in ProjectSort]


async def test_every_combination_of_filters_lists_the_same(pair: Pair) -> None:
    projects = await _ledger(pair)
    values = {**FILTERS, "developer_id": projects[0]["developer_id"]}
    names = list(values)
    found = 0
    for index, chosen in enumerate(itertools.product((False, True), repeat=len(names))):
        params = {name: values[name] for name, on in zip(names, chosen, strict=True) if on}
        if "lagging" in params:
            params["lagging"] = "true" if index % 4 < 2 else "false"
        if "stop_work_order" in params:
            params["stop_work_order"] = "false" if index % 3 else "true"
        params["sort"] = SORTS[index % len(SORTS)]
        answer = await pair.same(f"{LIST}?{_query(params)}", ADMIN, lane=True)
        found += len(answer.json()["items"])
    assert found > 100  # the combinations did find projects, not only empty pages


async def test_every_reader_lists_the_same(pair: Pair) -> None:
    projects = await _ledger(pair)
    queries = [
        {},
        {"district": factories.DISTRICT},
        {"district": factories.OTHER_DISTRICT},
        {"district": "990103"},
        {"status": "stalled", "sort": "-updated_at"},
        {"risk_tier": "red", "lagging": "true"},
        {"q": "50%_", "sort": "-name"},
        {"q": "/"},
        {"q": "锦绣 花园"},
        {"leader": "李明", "district": factories.OTHER_DISTRICT},
        {"developer_id": projects[2]["developer_id"], "sort": "contract_delivery_date"},
        {"limit": "1"},
        {"limit": "500", "sort": "-contract_delivery_date"},
    ]
    for reader, query in itertools.product(READERS, queries):
        await pair.same(f"{LIST}?{_query(query)}" if query else LIST, reader, lane=True)


async def test_paging_through_every_sort_lists_the_same(pair: Pair) -> None:
    await _ledger(pair)
    for sort, reader in itertools.product(SORTS, (ADMIN, OFFICER)):
        seen: list[str] = []
        params = {"sort": sort, "limit": "3"}
        while True:
            page = (await pair.same(f"{LIST}?{_query(params)}", reader, lane=True)).json()
            seen += [item["code"] for item in page["items"]]
            if page["next_cursor"] is None:
                break
            params["cursor"] = page["next_cursor"]
        assert len(seen) == (8 if reader is ADMIN else 5)


def _cursor(values: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")


async def test_what_the_lane_leaves_to_the_list_route(pair: Pair) -> None:
    await _ledger(pair)
    refused = [
        "distrct=990101",
        "status=stalled&status=registered",
        "district=990101&district=990101",
        "district=",
        "q=",
        "status=",
        "q=" + "a" * 101,
        "district=" + "9" * 13,
        "developer_id=" + "d" * 37,
        "leader=" + "李" * 101,
        "status=building",
        "risk_tier=purple",
        "sort=size",
        "lagging=yes",
        "lagging=1",
        "lagging=True",
        "stop_work_order=on",
        "limit=0",
        "limit=501",
        "limit=01",
        "limit=+5",
        "limit=5.0",
        "limit=-1",
        "limit=ten",
        "cursor=abc",
        "cursor=" + _cursor([]),
        "cursor=" + _cursor(["A-1"]),
        "cursor=" + _cursor(["A-1", 5]),
        "cursor=" + _cursor({"code": "A-1"}),
        "cursor=" + "A" * 1025,
        "sort=updated_at&cursor=" + _cursor(["yesterday", "x"]),
        "sort=contract_delivery_date&cursor=" + _cursor(["2026-02-30", "x"]),
        "q=%00",
        "district",
    ]
    for query in refused:
        await pair.same(f"{LIST}?{query}", ADMIN, lane=False)
    for headers in (None, {"Authorization": "Bearer x.y.z"}, auth(Role.bank, bank="ICBC")):
        await pair.same(LIST, headers, lane=False)
    await pair.same(LIST, ADMIN, lane=False, method="HEAD")
    await pair.same(f"{LIST}/", ADMIN, lane=False)
    # Spellings FastAPI accepts but the lane leaves to it, answered the same.
    answer = await pair.same(f"{LIST}?lagging=yes", ADMIN, lane=False)
    assert answer.status_code == 200
    # Empty pairs are no parameters, to both.
    await pair.same(f"{LIST}?&&limit=2&", ADMIN, lane=True)


async def test_the_lane_counts_as_the_route_in_the_metrics(pair: Pair) -> None:
    projects = await _ledger(pair)
    targets = [
        (f"/v1/projects/{projects[0]['id']}", ADMIN, True),
        (f"/v1/projects/{projects[5]['id']}", OFFICER, False),
        (f"{LIST}?status=stalled", ADMIN, True),
        (f"{LIST}?limit=0", ADMIN, False),
        (LIST, None, False),
    ]
    for target, headers, lane in targets:
        await pair.same(target, headers, lane=lane)

    def requests(app: FastAPI) -> dict[tuple[str, ...], float]:
        samples = {}
        for metric in app.state.metrics_registry.collect():
            for sample in metric.samples:
                if sample.name == "http_requests_total" and sample.labels["method"] == "GET":
                    samples[tuple(sorted(sample.labels.items()))] = sample.value
        return samples

    counted = requests(pair.registry.app)
    assert counted == requests(pair.plain_app)
    assert counted[(("method", "GET"), ("route", ONE), ("status", "200"))] == 1
    assert counted[(("method", "GET"), ("route", LIST), ("status", "200"))] == 1


def _query(params: dict[str, str]) -> str:
    return "&".join(f"{name}={quote(value, safe='')}" for name, value in params.items())


def test_a_lane_reads_only_what_it_can_read_as_fastapi_does() -> None:
    router = APIRouter()

    @router.get("/header")
    async def header(x: str = Header()) -> None: ...

    @router.get("/pattern")
    async def pattern(x: str = Query(pattern="^a$")) -> None: ...

    @router.get("/floats")
    async def floats(x: float = 1.0) -> None: ...

    @router.get("/several")
    async def several(x: list[str] = Query()) -> None: ...

    @router.post("/post")
    async def post(x: int = 1) -> None: ...

    @router.get("/unchecked")
    async def unchecked(x: int = 1) -> None: ...

    @router.get("/narrower")
    async def narrower(principal: Annotated[Principal, Depends(require_roles(Role.city_admin))]) -> None: ...

    async def rate_limit(request: Request) -> None: ...

    @router.get("/limited")
    async def limited(principal: Reader, limit: Annotated[None, Depends(rate_limit)]) -> None: ...

    @router.get("/fine")
    async def fine(
        principal: Reader, x: int = Query(1, ge=1), y: str | None = Query(None, max_length=3), z: bool = False
    ) -> None: ...

    async def serve(request: Any) -> None:
        return None

    routes = {route.path: route for route in router.routes if isinstance(route, APIRoute)}
    # The lane skips the route's dependencies: it refuses a route without exactly its roles' check (a viewer
    # would be served where the route admits a city admin only) or with a dependency doing more than reading
    # parameters (a rate limit would never run).
    for path in ("/header", "/pattern", "/floats", "/several", "/post", "/unchecked", "/narrower", "/limited"):
        with pytest.raises(TypeError):
            Lane.of(routes[path], roles=READER_ROLES, serve=serve)
    lane = Lane.of(routes["/fine"], roles=READER_ROLES, serve=serve)
    assert lane.params({}, b"") == {"x": 1, "y": None, "z": False}
    assert lane.params({}, b"x=2&y=abc&z=true") == {"x": 2, "y": "abc", "z": True}
    assert lane.params({}, b"w=1") is None
    assert lane.params({}, b"x=1&x=1") is None
    for refused in (b"x=0", b"x=01", b"y=abcd", b"z=1"):
        with pytest.raises(ValueError):
            lane.params({}, refused)

"""What a browser front end meets: CORS from configuration, and If-Match with lists of entity tags."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from services.registry.app import create_registry_app
from services.registry.settings import RegistrySettings
from tests.registry.conftest import Registry
from tests.support.apps import running

FRONT_END = "https://ledger.example.gov.cn"


async def test_a_configured_origin_may_call_and_read_the_headers(
    registry_settings: Callable[..., RegistrySettings],
) -> None:
    app = create_registry_app(registry_settings(cors_origins=[FRONT_END]))
    async with running(app) as client:
        registry = Registry(client, "", app)
        preflight = await client.options(
            "/v1/projects",
            headers={
                "Origin": FRONT_END,
                "Access-Control-Request-Method": "PATCH",
                "Access-Control-Request-Headers": "authorization, content-type, if-match",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == FRONT_END
        assert "PATCH" in preflight.headers["access-control-allow-methods"]
        assert "If-Match" in preflight.headers["access-control-allow-headers"]
        created = await client.post(
            "/v1/projects",
            json=(await registry.project_payload()),
            headers={**registry.admin, "Origin": FRONT_END},
        )
        assert created.status_code == 201
        assert created.headers["access-control-allow-origin"] == FRONT_END
        exposed = {h.strip() for h in created.headers["access-control-expose-headers"].split(",")}
        assert {"ETag", "Location", "X-Request-ID"} <= exposed
        other = await client.get("/v1/districts", headers={**registry.admin, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


async def test_no_origin_may_call_by_default(registry: Registry) -> None:
    preflight = await registry.client.options(
        "/v1/projects", headers={"Origin": FRONT_END, "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 405
    answer = await registry.client.get("/v1/districts", headers={**registry.admin, "Origin": FRONT_END})
    assert answer.status_code == 200
    assert "access-control-allow-origin" not in answer.headers


def test_an_origin_must_be_an_origin(registry_settings: Callable[..., RegistrySettings]) -> None:
    with pytest.raises(ValueError, match="not an origin"):
        registry_settings(cors_origins=["https://ledger.example.gov.cn/app"])


@pytest.mark.parametrize(
    ("if_match", "status"),
    [
        ('"9", "1"', 200),
        ('"1"', 200),
        ("*", 200),
        ('"7","8" , "9"', 412),
        ('W/"1"', 412),
        ('"9", W/"1"', 412),
        ("1", 412),
    ],
)
async def test_if_match_takes_a_list_and_matches_strongly(registry: Registry, if_match: str, status: int) -> None:
    project = await registry.project()
    url = f"/v1/projects/{project['id']}"
    assert (await registry.client.get(url, headers=registry.admin)).headers["etag"] == '"1"'
    answer = await registry.client.patch(url, json={"name": "新名"}, headers={**registry.admin, "If-Match": if_match})
    assert answer.status_code == status, answer.text
    final = (await registry.client.get(url, headers=registry.admin)).json()
    assert final["name"] == ("新名" if status == 200 else project["name"])
    assert final["version"] == (2 if status == 200 else 1)
    if status == 412:
        assert answer.json()["type"] == "urn:handover:problem:precondition-failed"

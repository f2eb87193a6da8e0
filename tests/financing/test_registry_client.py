"""The registry's typed client as financing uses it: a project, None, or an error that says whose fault."""

from __future__ import annotations

import httpx
import pytest
import respx

from services.common.peers import PeerContractError, PeerUnavailable
from services.common.peers.registry import RegistryClient
from tests.support.peers import mock_registry, registry_project

BASE = "http://registry.test"


async def test_get_project_answers_and_fails_as_documented() -> None:
    project = registry_project(district="990105")
    async with httpx.AsyncClient(base_url=BASE) as http:
        client = RegistryClient(http)
        with respx.mock(assert_all_called=False) as router:
            mock = mock_registry(router, {project["id"]: project}, base_url=BASE)
            assert await client.get_project(project["id"]) == project
            assert await client.get_project(registry_project()["id"]) is None
            mock.unavailable = True
            with pytest.raises(PeerUnavailable):
                await client.get_project(project["id"])
        for answer, error in (
            (httpx.Response(502), PeerUnavailable),
            (httpx.Response(403, json={"detail": "no"}), PeerContractError),
            (httpx.Response(200, json=[1, 2]), PeerContractError),
            (httpx.Response(200, content=b"<html>"), PeerContractError),
        ):
            with respx.mock() as router:
                router.get(f"{BASE}/v1/projects/{project['id']}").mock(return_value=answer)
                with pytest.raises(error):
                    await client.get_project(project["id"])

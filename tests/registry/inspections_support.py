"""Shortcuts to the inspections API for the tests: inspections, findings and moves, at a frozen city day."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from tests.registry.conftest import Registry
from tests.support.apps import auth

INSPECTED = date(2026, 11, 2)  # a Monday


def finding_body(**overrides: Any) -> dict[str, Any]:
    return {
        "category": "safety",
        "severity": "major",
        "description": "3号楼外脚手架连墙件缺失",
        "location": "3号楼 12-15层",
        "responsible_party": "construction",
        "measure": "rectify",
        "deadline_working_days": 5,
        **overrides,
    }


async def inspect(
    registry: Registry,
    project_id: str,
    headers: Mapping[str, str] | None = None,
    status: int = 201,
    **overrides: Any,
) -> Any:
    body = {"kind": "routine", "inspected_on": INSPECTED.isoformat(), "inspectors": ["王强"], **overrides}
    response = await registry.client.post(
        f"/v1/projects/{project_id}/inspections", json=body, headers=headers or auth()
    )
    assert response.status_code == status, response.text
    if status == 201:
        assert response.headers["Location"] == f"/v1/inspections/{response.json()['id']}"
    return response.json()


async def find(
    registry: Registry,
    inspection_id: str,
    headers: Mapping[str, str] | None = None,
    status: int = 201,
    **overrides: Any,
) -> Any:
    response = await registry.client.post(
        f"/v1/inspections/{inspection_id}/findings", json=finding_body(**overrides), headers=headers or auth()
    )
    assert response.status_code == status, response.text
    if status == 201:
        assert response.headers["Location"] == f"/v1/findings/{response.json()['id']}"
    return response.json()


async def move(
    registry: Registry,
    finding_id: str,
    action: str,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **body: Any,
) -> Any:
    response = await registry.client.post(
        f"/v1/findings/{finding_id}/transitions", json={"action": action, **body}, headers=headers or auth()
    )
    assert response.status_code == status, response.text
    return response.json()


async def read(registry: Registry, finding_id: str, headers: Mapping[str, str] | None = None) -> Any:
    response = await registry.client.get(f"/v1/findings/{finding_id}", headers=headers or auth())
    assert response.status_code == 200, response.text
    return response.json()


async def audit_count(registry: Registry, entity_id: str) -> int:
    rows = await registry.rows("SELECT count(*) AS n FROM audit_log WHERE entity_id = :id", id=entity_id)
    return int(rows[0].n)

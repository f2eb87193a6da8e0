"""Helpers for the coordination-item tests: shortcuts to the API, the daily job and the audit log."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.registry.conftest import Registry
from tests.support.apps import auth


def body(**overrides: Any) -> dict[str, Any]:
    """A body for ``POST /v1/projects/{id}/coordination-items``: power, raised on 2026-09-28, 10 working days."""
    return {
        "topic": "power",
        "description": "3号楼正式用电接入，供电公司尚未排期",
        "lead_department": "国网市供电公司",
        "raised_on": "2026-09-28",
        "deadline_working_days": 10,
        **overrides,
    }


async def create(registry: Registry, project_id: str, headers: Mapping[str, str] | None = None, **fields: Any) -> Any:
    response = await registry.client.post(
        f"/v1/projects/{project_id}/coordination-items", json=body(**fields), headers=dict(headers or auth())
    )
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"/v1/coordination-items/{response.json()['id']}"
    return response.json()


async def move(registry: Registry, item_id: str, action: str, status: int = 200, **fields: Any) -> Any:
    response = await registry.client.post(
        f"/v1/coordination-items/{item_id}/transitions", json={"action": action, **fields}, headers=auth()
    )
    assert response.status_code == status, response.text
    return response.json()


async def read(registry: Registry, item_id: str, headers: Mapping[str, str] | None = None) -> Any:
    response = await registry.client.get(f"/v1/coordination-items/{item_id}", headers=dict(headers or auth()))
    assert response.status_code == 200, response.text
    return response.json()


async def audit_actions(registry: Registry, item_id: str) -> list[str]:
    rows = await registry.rows(
        "SELECT action FROM audit_log WHERE entity = 'coordination_item' AND entity_id = :id ORDER BY action",
        id=item_id,
    )
    return [r.action for r in rows]

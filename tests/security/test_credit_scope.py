"""A bank may open a credit line only on a project whose whitelist entry stands pushed to it, and cannot tell a
real project id from an unknown one by trying: the same status, the same body, no call to the registry."""

from __future__ import annotations

import uuid
from typing import Any

from services.common.peers.registry import registry_project
from tests.security.conftest import Peers, Service
from tests.support.apps import auth

ADMIN = auth("city_admin")
WRITES = ("credit_lines", "outbox_events", "outbox_deliveries", "event_audience")


async def _bank(financing: Service, code: str) -> dict[str, str]:
    response = await financing.client.post("/v1/banks", json={"code": code, "name": f"{code} 银行"}, headers=ADMIN)
    assert response.status_code == 201, response.text
    return auth("bank", bank=code)


def _project(peers: Peers, district: str = "990101") -> str:
    project = registry_project(district=district)
    peers.projects.put(project)
    return str(project["id"])


async def _entry(financing: Service, project_id: str, *steps: tuple[str, dict[str, Any]]) -> str:
    """A whitelist entry of ``project_id`` taken through ``steps``."""
    entry = await financing.client.post(
        "/v1/whitelist",
        json={"project_id": project_id, "category": "normal", "requested_amount": "1000000.00"},
        headers=ADMIN,
    )
    assert entry.status_code == 201, entry.text
    for action, fields in steps:
        step = await financing.client.post(
            f"/v1/whitelist/{entry.json()['id']}/transitions", json={"action": action, **fields}, headers=ADMIN
        )
        assert step.status_code == 200, step.text
    return str(entry.json()["id"])


LISTED = (("prereview_pass", {}), ("city_approve", {}))


def _pushed(*banks: str) -> tuple[tuple[str, dict[str, Any]], ...]:
    return (*LISTED, ("push", {"banks": list(banks)}))


def _line(project_id: str) -> dict[str, str]:
    return {"project_id": project_id, "kind": "other", "approved_amount": "5000000.00"}


async def test_a_bank_cannot_open_credit_on_a_project_not_pushed_to_it_nor_tell_it_exists(
    financing: Service, peers: Peers
) -> None:
    bank = await _bank(financing, "BANK-A")
    await _bank(financing, "BANK-B")
    pushed = _project(peers, district="990102")
    await _entry(financing, pushed, *_pushed("BANK-A"))
    unlisted = _project(peers)
    listed = _project(peers)
    await _entry(financing, listed, *LISTED)
    other_bank = _project(peers)
    await _entry(financing, other_bank, *_pushed("BANK-B"))
    removed = _project(peers)
    removed_entry = await _entry(financing, removed, *_pushed("BANK-A"))
    gone = await financing.client.post(
        f"/v1/whitelist/{removed_entry}/transitions",
        json={"action": "remove", "reason": "bankruptcy_or_restructuring"},
        headers=ADMIN,
    )
    assert gone.status_code == 200, gone.text
    before = await financing.counts(*WRITES)
    asked_before = list(peers.projects.requested)

    answers = {}
    for name, project_id in {
        "unknown": str(uuid.uuid4()),
        "registered, never nominated": unlisted,
        "listed, not pushed": listed,
        "pushed to another bank": other_bank,
        "pushed, then removed": removed,
    }.items():
        response = await financing.client.post("/v1/credit-lines", json=_line(project_id), headers=bank)
        assert response.status_code == 422, (name, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        answers[name] = response.json()
    assert len({repr(sorted(answer.items())) for answer in answers.values()}) == 1, answers
    assert answers["unknown"]["type"] == "urn:handover:problem:unknown-project"
    assert peers.projects.requested == asked_before, "a bank's attempt never asks the registry"
    assert await financing.counts(*WRITES) == before
    positions = await financing.client.post(
        "/v1/funding-positions/query", json={"project_ids": [unlisted, listed, other_bank]}, headers=ADMIN
    )
    assert positions.json()["items"] == []

    # Nor does the registry being down tell anything apart: a bank's answer never depended on it.
    peers.projects.unavailable = True
    down = await financing.client.post("/v1/credit-lines", json=_line(unlisted), headers=bank)
    assert down.status_code == 422 and down.json() == answers["unknown"]

    opened = await financing.client.post("/v1/credit-lines", json=_line(pushed), headers=bank)
    assert opened.status_code == 201, opened.text
    assert opened.json()["district"] == "990102", "the district comes from the whitelist entry"
    assert await financing.count("credit_lines") == before["credit_lines"] + 1


async def test_a_city_admin_still_records_a_line_for_any_bank_on_a_registry_project(
    financing: Service, peers: Peers
) -> None:
    await _bank(financing, "BANK-C")
    project = _project(peers)
    response = await financing.client.post("/v1/credit-lines", json={**_line(project), "bank": "BANK-C"}, headers=ADMIN)
    assert response.status_code == 201, response.text
    unknown = await financing.client.post(
        "/v1/credit-lines", json={**_line(str(uuid.uuid4())), "bank": "BANK-C"}, headers=ADMIN
    )
    assert unknown.status_code == 422
    assert unknown.json()["type"] == "urn:handover:problem:unknown-project"

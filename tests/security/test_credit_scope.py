"""A bank may open a credit line only on a project whose whitelist entry stands pushed to it, and cannot tell a
real project id from an unknown one by trying: the same status, the same body, no call to the registry."""

from __future__ import annotations

import uuid

from tests.security.conftest import (
    ADMIN,
    LISTED,
    Peers,
    Service,
    create_bank,
    known_project,
    pushed_to,
    whitelist_entry,
)

WRITES = ("credit_lines", "outbox_events", "outbox_deliveries", "event_audience")


def _line(project_id: str) -> dict[str, str]:
    return {"project_id": project_id, "kind": "other", "approved_amount": "5000000.00"}


async def test_a_bank_cannot_open_credit_on_a_project_not_pushed_to_it_nor_tell_it_exists(
    financing: Service, peers: Peers
) -> None:
    bank = await create_bank(financing, "BANK-A")
    await create_bank(financing, "BANK-B")
    pushed = known_project(peers, district="990102")
    await whitelist_entry(financing, pushed, pushed_to("BANK-A"))
    unlisted = known_project(peers)
    listed = known_project(peers)
    await whitelist_entry(financing, listed, LISTED)
    other_bank = known_project(peers)
    await whitelist_entry(financing, other_bank, pushed_to("BANK-B"))
    removed = known_project(peers)
    removed_entry = await whitelist_entry(financing, removed, pushed_to("BANK-A"))
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
    await create_bank(financing, "BANK-C")
    project = known_project(peers)
    response = await financing.client.post("/v1/credit-lines", json={**_line(project), "bank": "BANK-C"}, headers=ADMIN)
    assert response.status_code == 201, response.text
    unknown = await financing.client.post(
        "/v1/credit-lines", json={**_line(str(uuid.uuid4())), "bank": "BANK-C"}, headers=ADMIN
    )
    assert unknown.status_code == 422
    assert unknown.json()["type"] == "urn:handover:problem:unknown-project"

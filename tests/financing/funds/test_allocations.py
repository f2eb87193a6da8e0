"""Allocations: to registry projects still being built, never past the program's grant, also under races."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from decimal import Decimal

from services.common import clock
from tests.financing.funds.conftest import Funds
from tests.support.apps import auth


async def test_an_allocation_takes_from_the_grant_and_is_announced(funds: Funds) -> None:
    program = await funds.program(granted_amount="1000.00")
    project = funds.financing.project(code="P-0001", name="锦绣花园")
    response = await funds.allocate(program["id"], "600.10", project, note="第一批下达")
    assert response.status_code == 201, response.text
    allocation = response.json()
    assert response.headers["location"] == f"/v1/allocations/{allocation['id']}"
    assert allocation | {"id": "", "created_at": ""} == {
        "id": "",
        "program_id": program["id"],
        "project_id": project["id"],
        "project_code": "P-0001",
        "project_name": "锦绣花园",
        "district": project["district"],
        "amount": "600.10",
        "paid_amount": "0.00",
        "unspent_amount": "600.10",
        "allocated_on": clock.today().isoformat(),
        "note": "第一批下达",
        "created_at": "",
    }
    assert (await funds.get(f"/v1/allocations/{allocation['id']}")).json() == allocation
    read = (await funds.get(f"/v1/fund-programs/{program['id']}")).json()
    assert (read["allocated_amount"], read["unallocated_amount"]) == ("600.10", "399.90")

    over = await funds.allocate(program["id"], "399.91")
    assert over.status_code == 409
    assert over.json()["type"] == "urn:handover:problem:over-allocation"
    exact = await funds.allocate(program["id"], "399.90")
    assert exact.status_code == 201, exact.text
    read = (await funds.get(f"/v1/fund-programs/{program['id']}")).json()
    assert (read["allocated_amount"], read["unallocated_amount"]) == ("1000.00", "0.00")
    listed = (await funds.get(f"/v1/fund-programs/{program['id']}/allocations")).json()["items"]
    assert [a["id"] for a in listed] == [exact.json()["id"], allocation["id"]]
    by_project = await funds.get(f"/v1/fund-programs/{program['id']}/allocations", project_id=project["id"])
    assert [a["id"] for a in by_project.json()["items"]] == [allocation["id"]]

    first_event, second_event = await funds.events("fund.allocated")
    assert second_event["allocation_id"] == exact.json()["id"]
    data = first_event
    assert data["project_id"] == project["id"]
    assert (data["allocation_id"], data["amount"], data["program_allocated_amount"]) == (
        allocation["id"],
        "600.10",
        "600.10",
    )
    assert (data["program_unallocated_amount"], data["paying_bank"], data["sequence"]) == ("399.90", None, 1)
    audited = (await funds.get("/v1/audit", entity_id=allocation["id"])).json()["items"]
    assert [(e["entity"], e["action"], e["project_id"]) for e in audited] == [
        ("fund_allocation", "created", project["id"])
    ]


async def test_allocations_race_but_never_pass_the_grant(funds: Funds) -> None:
    program = await funds.program(granted_amount="1000000.00")
    amounts = [Decimal("30000.00") + Decimal(i) for i in range(50)]
    answers = await asyncio.gather(*(funds.allocate(program["id"], str(a)) for a in amounts))
    accepted = [a for a, r in zip(amounts, answers, strict=True) if r.status_code == 201]
    refused = [r for r in answers if r.status_code != 201]
    assert sum(accepted) <= Decimal("1000000.00")
    assert len(accepted) >= 32
    assert refused and all(r.status_code == 409 for r in refused)
    read = (await funds.get(f"/v1/fund-programs/{program['id']}")).json()
    assert Decimal(read["allocated_amount"]) == sum(accepted)
    assert await funds.financing.count("fund_allocations") == len(accepted)
    assert await funds.financing.count("outbox_events", "WHERE type = 'fund.allocated'") == len(accepted)


async def test_the_registry_is_asked_about_the_project(funds: Funds) -> None:
    program = await funds.program()
    before = await funds.snapshot()
    unknown = await funds.client.post(
        f"/v1/fund-programs/{program['id']}/allocations",
        json={"project_id": str(uuid.uuid4()), "amount": "10.00"},
        headers=funds.admin,
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["pointer"] == "#/body/project_id"
    for status in ("terminated", "closed"):
        finished = await funds.allocate(program["id"], "10.00", funds.financing.project(status=status))
        assert finished.status_code == 409, finished.text
        assert finished.json()["type"] == "urn:handover:problem:project-not-eligible"
    funds.financing.registry.unavailable = True
    down = await funds.allocate(program["id"], "10.00", funds.financing.project())
    assert down.status_code == 503
    assert down.headers["retry-after"] == "5"
    assert await funds.snapshot() == before
    funds.financing.registry.unavailable = False
    assert (await funds.allocate(program["id"], "10.00", funds.financing.project(status="stalled"))).status_code == 201


async def test_allocation_days_and_roles(funds: Funds) -> None:
    program = await funds.program(granted_on=(clock.today() - timedelta(days=10)).isoformat())
    before = await funds.snapshot()
    cases = [
        ("10.00", {"allocated_on": (clock.today() + timedelta(days=1)).isoformat()}, 422),
        ("10.00", {"allocated_on": (clock.today() - timedelta(days=11)).isoformat()}, 422),
        ("-1.00", {}, 422),
        (5, {}, 422),
        ("10.00", {"headers": auth("district_officer", district="990101")}, 403),
        ("10.00", {"headers": auth("viewer")}, 403),
    ]
    for amount, fields, status in cases:
        response = await funds.allocate(program["id"], amount, **fields)
        assert response.status_code == status, (amount, fields, response.text)
    missing = await funds.allocate("00000000-0000-0000-0000-000000000000", "10.00")
    assert missing.status_code == 404
    assert await funds.snapshot() == before
    on_grant_day = await funds.allocation(
        program["id"], "10.00", allocated_on=(clock.today() - timedelta(days=10)).isoformat()
    )
    assert on_grant_day["allocated_on"] == (clock.today() - timedelta(days=10)).isoformat()


async def test_the_same_idempotency_key_replays_the_allocation(funds: Funds) -> None:
    program = await funds.program(granted_amount="100.00")
    project = funds.financing.project()
    key = str(uuid.uuid4())
    headers = {**funds.admin, "Idempotency-Key": key}
    path = f"/v1/fund-programs/{program['id']}/allocations"
    first = await funds.client.post(path, json={"project_id": project["id"], "amount": "60.00"}, headers=headers)
    assert first.status_code == 201
    before = await funds.snapshot()
    replay = await funds.client.post(path, json={"project_id": project["id"], "amount": "60.0"}, headers=headers)
    assert (replay.status_code, replay.json(), replay.headers["idempotent-replayed"]) == (201, first.json(), "true")
    assert replay.headers["location"] == first.headers["location"]
    other = await funds.client.post(path, json={"project_id": project["id"], "amount": "1.00"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["type"] == "urn:handover:problem:idempotency-key-reused"
    assert await funds.snapshot() == before

"""An accepted allocation plan becomes allocations in one call: each as if made by hand, all or none, once."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from tests.financing.funds.conftest import Funds
from tests.support.apps import LazyAuth


async def apply(
    funds: Funds,
    program_id: str,
    body: dict[str, Any],
    *,
    key: str | None = "plan-1",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    headers = dict(headers or funds.admin)
    if key is not None:
        headers["Idempotency-Key"] = key
    return await funds.client.post(f"/v1/fund-programs/{program_id}/allocation-plans", json=body, headers=headers)


def plan(*lines: tuple[dict[str, Any], str]) -> list[dict[str, str]]:
    return [{"project_id": project["id"], "amount": amount} for project, amount in lines]


async def test_a_plan_becomes_allocations_each_announced_and_audited(funds: Funds) -> None:
    program = await funds.program(granted_amount="1000000.00")
    first = funds.financing.project(code="P-0001", name="锦绣花园")
    second = funds.financing.project(code="P-0002", name="滨江一号")
    body = {
        "plan": plan((first, "600000.00"), (second, "300000.00")),
        "advice": {"model_version": "sc1-test-000000000000", "as_of": "2025-11-25"},
    }
    response = await apply(funds, program["id"], body)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/v1/fund-programs/{program['id']}/allocations"
    answer = response.json()
    assert (answer["allocated"], answer["program_allocated_amount"], answer["program_unallocated_amount"]) == (
        "900000.00",
        "900000.00",
        "100000.00",
    )
    made = answer["allocations"]
    assert [(a["project_code"], a["project_name"], a["amount"]) for a in made] == [
        ("P-0001", "锦绣花园", "600000.00"),
        ("P-0002", "滨江一号", "300000.00"),
    ]
    assert all("sc1-test-000000000000" in a["note"] and "2025-11-25" in a["note"] for a in made)
    # One bulk call to the registry, none per project.
    assert funds.financing.registry.fact_queries == [{"project_ids": [first["id"], second["id"]]}]
    assert funds.financing.registry.requested == []
    # As if made by hand: readable one by one, announced, audited.
    for allocation in made:
        assert (await funds.get(f"/v1/allocations/{allocation['id']}")).json() == allocation
        audited = (await funds.get("/v1/audit", entity_id=allocation["id"])).json()["items"]
        assert [(e["entity"], e["action"]) for e in audited] == [("fund_allocation", "created")]
    events = await funds.events("fund.allocated")
    assert [(e["allocation_id"], e["program_allocated_amount"]) for e in events] == [
        (made[0]["id"], "600000.00"),
        (made[1]["id"], "900000.00"),
    ]


async def test_a_retry_with_the_key_allocates_nothing_more(funds: Funds) -> None:
    program = await funds.program(granted_amount="1000000.00")
    body = {"plan": plan((funds.financing.project(), "400000.00"))}
    first = await apply(funds, program["id"], body, key="again")
    before = await funds.snapshot()
    replay = await apply(funds, program["id"], body, key="again")
    assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    assert await funds.snapshot() == before
    other = await apply(funds, program["id"], {"plan": plan((funds.financing.project(), "1.00"))}, key="again")
    assert other.status_code == 422 and other.json()["type"].endswith(":idempotency-key-reused")
    missing = await apply(funds, program["id"], body, key=None)
    assert missing.status_code == 422
    assert await funds.snapshot() == before


async def test_one_refused_line_refuses_the_whole_plan(funds: Funds) -> None:
    program = await funds.program(granted_amount="1000000.00")
    good = funds.financing.project()
    closed = funds.financing.project(status="closed")
    before = await funds.snapshot()

    over = await apply(
        funds, program["id"], {"plan": plan((good, "600000.00"), (funds.financing.project(), "400000.01"))}
    )
    assert over.status_code == 409 and over.json()["type"].endswith(":over-allocation")
    assert "1000000.01" in over.json()["detail"]

    not_eligible = await apply(funds, program["id"], {"plan": plan((good, "1.00"), (closed, "1.00"))}, key="k2")
    assert not_eligible.status_code == 409 and not_eligible.json()["type"].endswith(":project-not-eligible")

    unknown = {"id": str(uuid.uuid4())}
    missing = await apply(funds, program["id"], {"plan": plan((good, "1.00"), (unknown, "1.00"))}, key="k3")
    assert missing.status_code == 422 and missing.json()["type"].endswith(":unknown-project")
    assert missing.json()["errors"][0]["pointer"] == "#/body/plan/1/project_id"

    twice = await apply(funds, program["id"], {"plan": plan((good, "1.00"), (good, "2.00"))}, key="k4")
    assert twice.status_code == 422
    assert await funds.snapshot() == before
    read = (await funds.get(f"/v1/fund-programs/{program['id']}")).json()
    assert read["allocated_amount"] == "0.00"


@pytest.mark.parametrize(
    "headers",
    [
        LazyAuth("district_officer", district="990101"),
        LazyAuth("viewer"),
        LazyAuth("bank", bank="ICBC"),
        LazyAuth("service"),
    ],
)
async def test_only_city_admins_apply_plans(funds: Funds, headers: Mapping[str, str]) -> None:
    program = await funds.program()
    before = await funds.snapshot()
    response = await apply(funds, program["id"], {"plan": plan((funds.financing.project(), "1.00"))}, headers=headers)
    assert response.status_code == 403
    assert await funds.snapshot() == before


async def test_an_unknown_program_is_404(funds: Funds) -> None:
    response = await apply(funds, str(uuid.uuid4()), {"plan": plan((funds.financing.project(), "1.00"))})
    assert response.status_code == 404


async def test_registry_down_allocates_nothing(funds: Funds) -> None:
    program = await funds.program()
    project = funds.financing.project()
    funds.financing.registry.unavailable = True
    before = await funds.snapshot()
    response = await apply(funds, program["id"], {"plan": plan((project, "1.00"))})
    assert response.status_code == 503 and response.json()["type"].endswith(":registry-unavailable")
    assert await funds.snapshot() == before

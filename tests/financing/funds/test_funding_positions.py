"""Unspent allocations count as available funding in the funding positions risk reads."""

from __future__ import annotations

from decimal import Decimal

from services.common.peers.financing import FinancingClient
from tests.financing.funds.conftest import Funds
from tests.support.apps import auth


async def test_unspent_allocations_are_available_funding(funds: Funds) -> None:
    bank = await funds.financing.bank()
    funded = funds.financing.project()
    only_policy = funds.financing.project()
    line = await funds.financing.credit_line(bank, amount="1000.00", project=funded)
    await funds.financing.disburse(line["id"], bank, "250.00")
    first, second = await funds.program(), await funds.program()
    a = await funds.allocation(first["id"], "700.00", funded)
    await funds.allocation(second["id"], "300.00", funded)
    b = await funds.allocation(second["id"], "5000.00", only_policy)
    paid = (await funds.pay(a["id"], "200.00")).json()
    await funds.pay(a["id"], "100.00")
    await funds.pay(b["id"], "5000.00")
    await funds.reverse(paid["id"])
    nothing = funds.financing.project()

    service = auth("service")
    ids = [funded["id"], only_policy["id"], nothing["id"]]
    answer = await funds.client.post("/v1/funding-positions/query", json={"project_ids": ids}, headers=service)
    assert answer.status_code == 200, answer.text
    positions = {p["project_id"]: p for p in answer.json()["items"]}
    assert set(positions) == {funded["id"], only_policy["id"]}
    # 700 + 300 allocated, 100 paid (the 200 was reversed); the credit line is untouched by the policy funds.
    assert positions[funded["id"]] == {
        "project_id": funded["id"],
        "approved_amount": "1000.00",
        "disbursed_amount": "250.00",
        "undrawn_amount": "750.00",
        "credit_lines": 1,
        "unspent_allocations": "900.00",
    }
    assert positions[only_policy["id"]] == {
        "project_id": only_policy["id"],
        "approved_amount": "0.00",
        "disbursed_amount": "0.00",
        "undrawn_amount": "0.00",
        "credit_lines": 0,
        "unspent_allocations": "0.00",
    }
    every = await funds.client.post("/v1/funding-positions/query", json={"all": True}, headers=service)
    assert [p["project_id"] for p in every.json()["items"]] == sorted([funded["id"], only_policy["id"]])

    client = FinancingClient(funds.client)
    client.http.headers.update(service)
    read = await client.query_funding_positions(ids)
    assert read.positions[funded["id"]].unspent_allocations == Decimal("900.00")

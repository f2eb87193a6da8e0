"""Payments: only for the program's uses (专款专用), only for debts from the cutover on (新老划断), never past the
allocation whatever the concurrency; refused attempts kept; idempotent; reversed with a reason."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from decimal import Decimal

from services.common import clock
from tests.financing.conftest import DISTRICT
from tests.financing.funds.conftest import Funds
from tests.support import factories
from tests.support.apps import LazyAuth, auth

OFFICER = LazyAuth("district_officer", district=DISTRICT)


async def test_a_payment_spends_the_allocation_and_is_announced(funds: Funds) -> None:
    program = await funds.program()
    allocation = await funds.allocation(program["id"], "1000.00")
    code = factories.credit_code()
    response = await funds.pay(
        allocation["id"],
        "600.10",
        use="current_wages",
        payee={"name": "示范劳务有限公司", "credit_code": code.lower()},
        description="10月农民工工资",
    )
    assert response.status_code == 201, response.text
    payment = response.json()
    assert response.headers["location"] == f"/v1/payments/{payment['id']}"
    assert (payment["amount"], payment["use"], payment["status"]) == ("600.10", "current_wages", "recorded")
    assert payment["payee"] == {"name": "示范劳务有限公司", "credit_code": code}
    assert payment["evidence"] == [
        {"kind": "invoice", "reference": "INV-0001"},
        {"kind": "contract", "reference": "HT-01"},
    ]
    assert (payment["program_id"], payment["project_id"]) == (program["id"], allocation["project_id"])
    assert (await funds.get(f"/v1/payments/{payment['id']}", headers=OFFICER)).json() == payment
    read = (await funds.get(f"/v1/allocations/{allocation['id']}")).json()
    assert (read["paid_amount"], read["unspent_amount"]) == ("600.10", "399.90")
    assert (await funds.get(f"/v1/fund-programs/{program['id']}")).json()["paid_amount"] == "600.10"
    [event] = await funds.events("fund.payment_recorded")
    assert (event["payment_id"], event["allocation_paid_amount"], event["allocation_unspent_amount"]) == (
        payment["id"],
        "600.10",
        "399.90",
    )
    assert (event["use"], event["payee_credit_code"], event["project_id"]) == (
        "current_wages",
        code,
        allocation["project_id"],
    )
    [entry] = (await funds.get("/v1/audit", entity_id=payment["id"])).json()["items"]
    assert (entry["action"], entry["actor_role"], entry["after"]["amount"]) == ("created", "district_officer", "600.10")


async def test_the_rules_of_the_funds_refuse_with_their_name_and_keep_the_attempt(funds: Funds) -> None:
    cutover = clock.today() - timedelta(days=100)
    program = await funds.program(cutover_date=cutover.isoformat(), eligible_uses=["construction", "materials"])
    allocation = await funds.allocation(program["id"], "1000.00")
    before = await funds.snapshot()
    not_eligible = await funds.pay(allocation["id"], "10.00", use="equipment")
    assert not_eligible.status_code == 422
    assert not_eligible.headers["content-type"] == "application/problem+json"
    assert not_eligible.json()["type"] == "urn:handover:problem:use-not-eligible"
    assert not_eligible.json()["errors"][0]["pointer"] == "#/body/use"
    assert "construction, materials" in not_eligible.json()["detail"]
    old_debt = await funds.pay(
        allocation["id"], "10.00", liability_incurred_on=(cutover - timedelta(days=1)).isoformat()
    )
    assert old_debt.status_code == 422
    assert old_debt.json()["type"] == "urn:handover:problem:liability-before-cutover"
    assert old_debt.json()["errors"][0]["pointer"] == "#/body/liability_incurred_on"
    both = await funds.pay(
        allocation["id"], "10.00", use="utilities", liability_incurred_on=(cutover - timedelta(days=1)).isoformat()
    )
    assert both.json()["type"] == "urn:handover:problem:use-not-eligible"
    past = await funds.pay(allocation["id"], "1000.01")
    assert past.status_code == 409
    assert past.json()["type"] == "urn:handover:problem:exceeds-allocation"

    after = await funds.snapshot()
    assert after["fund_payment_refusals"] == before["fund_payment_refusals"] + 4
    assert after["audit_log"] == before["audit_log"] + 4
    assert {table: count for table, count in after.items() if table not in ("fund_payment_refusals", "audit_log")} == {
        table: count for table, count in before.items() if table not in ("fund_payment_refusals", "audit_log")
    }
    assert await funds.refusals() == [
        "exceeds_allocation",
        "liability_before_cutover",
        "use_not_eligible",
        "use_not_eligible",
    ]
    refused = (await funds.get("/v1/audit", entity="fund_payment_refusal")).json()["items"]
    assert [e["after"]["rule"] for e in refused] == [
        "exceeds_allocation",
        "use_not_eligible",
        "liability_before_cutover",
        "use_not_eligible",
    ]
    assert refused[0]["actor_role"] == "district_officer" and refused[0]["project_id"] == allocation["project_id"]
    read = (await funds.get(f"/v1/allocations/{allocation['id']}")).json()
    assert read["paid_amount"] == "0.00"

    on_cutover = await funds.pay(allocation["id"], "10.00", use="materials", liability_incurred_on=cutover.isoformat())
    assert on_cutover.status_code == 201, on_cutover.text
    exact = await funds.pay(allocation["id"], "990.00")
    assert exact.status_code == 201, exact.text
    assert (await funds.get(f"/v1/allocations/{allocation['id']}")).json()["unspent_amount"] == "0.00"


async def test_malformed_payments_are_refused_change_nothing_and_count_as_no_refusal(funds: Funds) -> None:
    program = await funds.program()
    allocation = await funds.allocation(
        program["id"], "1000.00", allocated_on=(clock.today() - timedelta(days=5)).isoformat()
    )
    code = factories.credit_code()
    wrong_check = code[:17] + ("0" if code[17] != "0" else "1")
    today = clock.today()
    before = await funds.snapshot()
    cases = [
        ({"payee": {"name": "某公司", "credit_code": wrong_check}}, "#/body/payee/credit_code"),
        ({"payee": {"name": "某公司", "credit_code": "91" + "A" * 16}}, "#/body/payee/credit_code"),
        ({"payee": {"name": "某公司"}}, "#/body/payee/credit_code"),
        ({"paid_on": (today + timedelta(days=1)).isoformat()}, "#/body/paid_on"),
        ({"paid_on": (today - timedelta(days=6)).isoformat()}, "#/body/paid_on"),
        (
            {"paid_on": (today - timedelta(days=1)).isoformat(), "liability_incurred_on": today.isoformat()},
            "#/body/liability_incurred_on",
        ),
        ({"evidence": []}, "#/body/evidence"),
        ({"evidence": [{"kind": "photo", "reference": "x"}]}, "#/body/evidence/0/kind"),
        ({"use": "old_debts"}, "#/body/use"),
        ({"amount": "0.00"}, "#/body/amount"),
        ({"amount": 10.5}, "#/body/amount"),
    ]
    for fields, pointer in cases:
        response = await funds.pay(allocation["id"], **{"amount": "10.00", **fields})
        assert response.status_code == 422, (fields, response.text)
        assert pointer in [e["pointer"] for e in response.json()["errors"]], (fields, response.json())
    assert await funds.snapshot() == before
    assert (await funds.pay("00000000-0000-0000-0000-000000000000")).status_code == 404
    for headers in (auth("viewer"), auth("bank", bank="ICBC"), auth("service")):
        assert (await funds.pay(allocation["id"], headers=headers)).status_code == 403
    assert await funds.snapshot() == before


async def test_fifty_concurrent_payments_never_pass_the_allocation(funds: Funds) -> None:
    program = await funds.program(granted_amount="1000000.00")
    allocation = await funds.allocation(program["id"], "1000000.00")
    amounts = [Decimal("30000.00") + Decimal(i) for i in range(50)]
    answers = await asyncio.gather(*(funds.pay(allocation["id"], str(a)) for a in amounts))
    accepted = [a for a, r in zip(amounts, answers, strict=True) if r.status_code == 201]
    refused = [r for r in answers if r.status_code != 201]
    assert sum(accepted) <= Decimal("1000000.00")
    assert len(accepted) >= 32
    assert refused and all(r.status_code == 409 for r in refused), {r.status_code for r in refused}
    assert all(r.json()["type"] == "urn:handover:problem:exceeds-allocation" for r in refused)
    read = (await funds.get(f"/v1/allocations/{allocation['id']}")).json()
    assert Decimal(read["paid_amount"]) == sum(accepted)
    assert Decimal(read["unspent_amount"]) == Decimal("1000000.00") - sum(accepted)
    assert await funds.financing.count("fund_payments") == len(accepted)
    assert await funds.financing.count("outbox_events", "WHERE type = 'fund.payment_recorded'") == len(accepted)
    assert await funds.refusals() == ["exceeds_allocation"] * len(refused)


async def test_the_same_idempotency_key_replays_the_payment(funds: Funds) -> None:
    program = await funds.program()
    allocation = await funds.allocation(program["id"], "1000.00")
    body = funds.payment("100.00")
    key = str(uuid.uuid4())
    path = f"/v1/allocations/{allocation['id']}/payments"
    headers = {**OFFICER, "Idempotency-Key": key}
    first = await funds.client.post(path, json=body, headers=headers)
    assert first.status_code == 201
    before = await funds.snapshot()
    for _ in range(3):
        replay = await funds.client.post(path, json={**body, "amount": "100.0"}, headers=headers)
        assert (replay.status_code, replay.json(), replay.headers["idempotent-replayed"]) == (
            201,
            first.json(),
            "true",
        )
        assert replay.headers["location"] == first.headers["location"]
    assert await funds.snapshot() == before
    other = await funds.client.post(path, json={**body, "amount": "200.00"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["type"] == "urn:handover:problem:idempotency-key-reused"
    assert await funds.snapshot() == before

    refused_key = str(uuid.uuid4())
    assert (await funds.pay(allocation["id"], "10.00", key=refused_key, use="equipment")).status_code == 422
    assert await funds.financing.count("idempotency_keys") == before["idempotency_keys"]
    assert (await funds.pay(allocation["id"], "10.00", key=refused_key)).status_code == 201

    concurrent_key = str(uuid.uuid4())
    answers = await asyncio.gather(*(funds.pay(allocation["id"], "50.00", key=concurrent_key) for _ in range(10)))
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert (await funds.get(f"/v1/allocations/{allocation['id']}")).json()["paid_amount"] == "160.00"


async def test_a_reversal_needs_a_reason_and_gives_the_amount_back(funds: Funds) -> None:
    program = await funds.program()
    allocation = await funds.allocation(program["id"], "1000.00")
    payment = (await funds.pay(allocation["id"], "400.00")).json()
    before = await funds.snapshot()
    for body in ({}, {"reason": ""}):
        response = await funds.client.post(f"/v1/payments/{payment['id']}/reversal", json=body, headers=OFFICER)
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "#/body/reason"
    assert (await funds.reverse(payment["id"], headers=auth("viewer"))).status_code == 403
    assert await funds.snapshot() == before

    reversed_ = await funds.reverse(payment["id"], "收款单位账户有误，资金退回", headers=OFFICER)
    assert reversed_.status_code == 200, reversed_.text
    assert (reversed_.json()["status"], reversed_.json()["reversal_reason"]) == (
        "reversed",
        "收款单位账户有误，资金退回",
    )
    read = (await funds.get(f"/v1/allocations/{allocation['id']}")).json()
    assert (read["paid_amount"], read["unspent_amount"]) == ("0.00", "1000.00")
    again = await funds.reverse(payment["id"])
    assert again.status_code == 409
    assert again.json()["type"] == "urn:handover:problem:already-reversed"
    [event] = await funds.events("fund.payment_reversed")
    assert (event["payment_id"], event["reason"], event["allocation_unspent_amount"]) == (
        payment["id"],
        "收款单位账户有误，资金退回",
        "1000.00",
    )
    audited = (await funds.get("/v1/audit", entity_id=payment["id"])).json()["items"]
    assert [e["action"] for e in audited] == ["reversed", "created"]
    assert (audited[0]["before"]["status"], audited[0]["after"]["status"]) == ("recorded", "reversed")
    listed = (await funds.get(f"/v1/allocations/{allocation['id']}/payments")).json()["items"]
    assert [(p["id"], p["status"]) for p in listed] == [(payment["id"], "reversed")]
    assert (await funds.pay(allocation["id"], "1000.00")).status_code == 201
    assert (await funds.reverse("00000000-0000-0000-0000-000000000000")).status_code == 404

"""Credit lines and disbursements: never past the approved amount, idempotent, exact to the cent."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import orjson
import sqlalchemy as sa
import time_machine

from services.common import clock
from services.financing.models import OUTBOX
from tests.financing.conftest import Financing
from tests.support.apps import auth


async def test_disburse_and_reverse(financing: Financing) -> None:
    bank = await financing.bank()
    line = await financing.credit_line(bank, amount="1000.00")
    first = await financing.disburse(line["id"], bank, "600.10")
    assert first.status_code == 201, first.text
    assert first.headers["location"] == f"/v1/disbursements/{first.json()['id']}"
    assert first.json()["amount"] == "600.10"
    over = await financing.disburse(line["id"], bank, "399.91")
    assert over.status_code == 409
    assert over.headers["content-type"] == "application/problem+json"
    assert over.json()["type"] == "urn:handover:problem:over-disbursement"
    exact = await financing.disburse(line["id"], bank, "399.90")
    assert exact.status_code == 201
    read = (await financing.client.get(f"/v1/credit-lines/{line['id']}", headers=financing.admin)).json()
    assert (read["disbursed_amount"], read["available_amount"]) == ("1000.00", "0.00")
    url = f"/v1/disbursements/{first.json()['id']}/reversal"
    reversed_ = await financing.client.post(url, json={"reason": "重复录入"}, headers=auth("bank", bank=bank))
    assert reversed_.status_code == 200, reversed_.text
    assert (reversed_.json()["status"], reversed_.json()["reversal_reason"]) == ("reversed", "重复录入")
    assert reversed_.json()["reversed_at"] is not None
    again = await financing.client.post(url, json={"reason": "重复录入"}, headers=auth("bank", bank=bank))
    assert (again.status_code, again.json()["type"]) == (409, "urn:handover:problem:already-reversed")
    read = (await financing.client.get(f"/v1/credit-lines/{line['id']}", headers=financing.admin)).json()
    assert (read["disbursed_amount"], read["available_amount"]) == ("399.90", "600.10")
    listed = (
        await financing.client.get(f"/v1/credit-lines/{line['id']}/disbursements", headers=auth("bank", bank=bank))
    ).json()
    assert [d["status"] for d in listed["items"]] == ["recorded", "reversed"]
    events = OUTBOX.events
    bodies = [orjson.loads(r.body) for r in await financing.rows(sa.select(events.c.body).order_by(events.c.sequence))]
    recorded = [b["data"] for b in bodies if b["type"] == "disbursement.recorded"]
    reversed_events = [b["data"] for b in bodies if b["type"] == "disbursement.reversed"]
    # What the line had left after each event: 1000.00 - 600.10, then nothing, then 600.10 given back.
    assert [d["line_available_amount"] for d in recorded] == ["399.90", "0.00"]
    assert [d["line_available_amount"] for d in reversed_events] == ["600.10"]
    officer_elsewhere = auth("district_officer", district="990102")
    hidden = await financing.client.get(f"/v1/disbursements/{first.json()['id']}", headers=officer_elsewhere)
    assert hidden.status_code == 404


async def test_a_line_may_be_drawn_on_its_maturity_day_and_not_after(financing: Financing, today: date) -> None:
    bank = await financing.bank()
    line = await financing.credit_line(bank, amount="100.00", maturity_date=today.isoformat())
    assert (await financing.disburse(line["id"], bank, "10.00")).status_code == 201
    with time_machine.travel(clock.now() + timedelta(days=1)):
        late = await financing.disburse(line["id"], bank, "10.00")
    assert late.status_code == 422
    assert [e["pointer"] for e in late.json()["errors"]] == ["#/body/disbursed_on"]


async def test_same_idempotency_key_replays_the_first_answer(financing: Financing) -> None:
    bank = await financing.bank()
    line = await financing.credit_line(bank, amount="1000.00")
    key = str(uuid.uuid4())
    other_line = await financing.credit_line(bank, amount="1000.00")
    first = await financing.disburse(line["id"], bank, "100.00", key=key)
    assert first.status_code == 201
    before = await financing.snapshot()
    for _ in range(3):
        replay = await financing.disburse(line["id"], bank, "100.0", key=key)
        assert replay.status_code == 201
        assert replay.json() == first.json()
        assert replay.headers["location"] == first.headers["location"]
        assert replay.headers["idempotent-replayed"] == "true"
        assert replay.headers["content-type"] == "application/json"
    assert await financing.snapshot() == before
    other_body = await financing.disburse(line["id"], bank, "200.00", key=key)
    assert other_body.status_code == 422
    assert other_body.json()["type"] == "urn:handover:problem:idempotency-key-reused"
    assert [e["pointer"] for e in other_body.json()["errors"]] == ["#/header/Idempotency-Key"]
    # The same body on another resource is another request too.
    other_resource = await financing.disburse(other_line["id"], bank, "100.00", key=key)
    assert other_resource.status_code == 422
    assert other_resource.json()["type"] == "urn:handover:problem:idempotency-key-reused"
    assert await financing.snapshot() == before
    concurrent_key = str(uuid.uuid4())
    answers = await asyncio.gather(
        *(financing.disburse(line["id"], bank, "50.00", key=concurrent_key) for _ in range(10))
    )
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert await financing.count("disbursements") == 2
    read = (await financing.client.get(f"/v1/credit-lines/{line['id']}", headers=financing.admin)).json()
    assert read["disbursed_amount"] == "150.00"


async def test_an_idempotency_key_belongs_to_the_bank_that_used_it(financing: Financing) -> None:
    bank_a, bank_b = await financing.bank(), await financing.bank()
    line_a = await financing.credit_line(bank_a, amount="1000.00")
    line_b = await financing.credit_line(bank_b, amount="1000.00")
    key = str(uuid.uuid4())
    first = await financing.disburse(line_a["id"], bank_a, "100.00", key=key)
    assert first.status_code == 201, first.text
    before = await financing.snapshot()

    # The same request from another bank is judged on its own: A's line is out of B's scope, so 404, never A's
    # stored answer (which would tell B the line exists and hand it A's disbursement).
    stolen = await financing.disburse(line_a["id"], bank_b, "100.00", key=key)
    assert stolen.status_code == 404
    assert "idempotent-replayed" not in stolen.headers
    assert first.json()["id"] not in stolen.text
    assert await financing.snapshot() == before

    # B's own operation under the same key is B's: a new disbursement, not a replay and not a reused key.
    own = await financing.disburse(line_b["id"], bank_b, "100.00", key=key)
    assert own.status_code == 201, own.text
    assert "idempotent-replayed" not in own.headers
    assert own.json()["id"] != first.json()["id"]
    for line_id in (line_a["id"], line_b["id"]):
        read = (await financing.client.get(f"/v1/credit-lines/{line_id}", headers=financing.admin)).json()
        assert read["disbursed_amount"] == "100.00"

    replay = await financing.disburse(line_a["id"], bank_a, "100.00", key=key)
    assert (replay.status_code, replay.headers["idempotent-replayed"]) == (201, "true")
    assert replay.json()["id"] == first.json()["id"]


async def test_keys_of_other_callers_and_other_keys_keep_their_own_answers(financing: Financing) -> None:
    bank = await financing.bank()
    line = await financing.credit_line(bank, amount="1000.00")
    url = f"/v1/credit-lines/{line['id']}/disbursements"
    body = {"amount": "10.00", "disbursed_on": clock.today().isoformat(), "purpose": "工程款"}

    async def as_admin(sub: str, key: str) -> Any:
        headers = {**auth("city_admin", sub=sub), "Idempotency-Key": key}
        return await financing.client.post(url, json=body, headers=headers)

    # Two city staff recording for the bank: a key is each person's own.
    alice, bob = await as_admin("alice", "k-1"), await as_admin("bob", "k-1")
    assert (alice.status_code, bob.status_code) == (201, 201)
    assert "idempotent-replayed" not in bob.headers
    assert alice.json()["id"] != bob.json()["id"]
    # A second key's answer never overwrites the first key's.
    second = await as_admin("alice", "k-2")
    assert second.status_code == 201
    replayed = await as_admin("alice", "k-1")
    assert (replayed.headers["idempotent-replayed"], replayed.json()["id"]) == ("true", alice.json()["id"])
    read = (await financing.client.get(f"/v1/credit-lines/{line['id']}", headers=financing.admin)).json()
    assert read["disbursed_amount"] == "30.00"


async def test_a_refused_request_stores_nothing_under_its_key(financing: Financing) -> None:
    bank = await financing.bank()
    line = await financing.credit_line(bank, amount="100.00")
    key = str(uuid.uuid4())
    assert (await financing.disburse(line["id"], bank, "100.01", key=key)).status_code == 409
    assert await financing.count("idempotency_keys") == 0
    assert (await financing.disburse(line["id"], bank, "100.00", key=key)).status_code == 201


async def test_fifty_concurrent_disbursements_never_exceed_the_line(financing: Financing) -> None:
    bank = await financing.bank()
    line = await financing.credit_line(bank, amount="1000000.00")
    amounts = [Decimal("30000.00") + Decimal(i) for i in range(50)]
    answers = await asyncio.gather(*(financing.disburse(line["id"], bank, str(a)) for a in amounts))
    accepted = [a for a, r in zip(amounts, answers, strict=True) if r.status_code == 201]
    refused = [r for r in answers if r.status_code != 201]
    assert sum(accepted) <= Decimal("1000000.00")
    assert len(accepted) >= 32
    assert refused and all(r.status_code == 409 for r in refused)
    assert all(r.headers["content-type"] == "application/problem+json" for r in refused)
    read = (await financing.client.get(f"/v1/credit-lines/{line['id']}", headers=financing.admin)).json()
    assert Decimal(read["disbursed_amount"]) == sum(accepted)
    assert await financing.count("disbursements") == len(accepted)
    assert await financing.count("outbox_events", "WHERE type = 'disbursement.recorded'") == len(accepted)


async def test_bad_money_and_dates_are_refused_and_change_nothing(financing: Financing) -> None:
    bank = await financing.bank()
    line = await financing.credit_line(bank, amount="1000.00")
    before = await financing.snapshot()
    today = clock.today()
    cases = [
        ({"amount": "-5.00"}, "#/body/amount"),
        ({"amount": "0.00"}, "#/body/amount"),
        ({"amount": "abc"}, "#/body/amount"),
        ({"amount": 12.5}, "#/body/amount"),
        ({"amount": 12}, "#/body/amount"),
        ({"amount": "1.234"}, "#/body/amount"),
        ({"amount": "1e3"}, "#/body/amount"),
        ({"disbursed_on": (today + timedelta(days=1)).isoformat()}, "#/body/disbursed_on"),
        ({"disbursed_on": "2025-01-01"}, "#/body/disbursed_on"),
        ({"disbursed_on": 1735689600}, "#/body/disbursed_on"),
        ({"purpose": ""}, "#/body/purpose"),
    ]
    for fields, pointer in cases:
        payload = {"amount": "10.00", "disbursed_on": today.isoformat(), "purpose": "x", **fields}
        response = await financing.client.post(
            f"/v1/credit-lines/{line['id']}/disbursements", json=payload, headers=auth("bank", bank=bank)
        )
        assert response.status_code == 422, (fields, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert pointer in [e["pointer"] for e in response.json()["errors"]], (fields, response.json())
    entry = await financing.pushed_entry([bank])
    decisions = [
        ({"decision": "approve", "amount": "-1.00"}, "#/body/amount"),
        ({"decision": "approve", "amount": "1.001"}, "#/body/amount"),
        ({"decision": "approve"}, "#/body/amount"),
        ({"decision": "approve", "amount": "5.00", "maturity_date": "2020-01-01"}, "#/body/maturity_date"),
        ({"decision": "decline", "reason": "x", "amount": "5.00"}, "#/body/amount"),
        ({"decision": "maybe"}, "#/body/decision"),
    ]
    before = await financing.snapshot()
    for fields, pointer in decisions:
        response = await financing.decide(entry["id"], bank, **fields)
        assert response.status_code == 422, (fields, response.text)
        assert pointer in [e["pointer"] for e in response.json()["errors"]], (fields, response.json())
    assert await financing.snapshot() == before


async def test_decision_from_a_bank_not_pushed_to_changes_nothing(financing: Financing) -> None:
    pushed, other = await financing.bank(), await financing.bank()
    entry = await financing.pushed_entry([pushed])
    before = await financing.snapshot()
    as_bank = await financing.decide(entry["id"], other, decision="approve", amount="10.00")
    assert as_bank.status_code == 404
    assert as_bank.headers["content-type"] == "application/problem+json"
    as_admin = await financing.client.post(
        f"/v1/whitelist/{entry['id']}/bank-decisions",
        json={"decision": "approve", "amount": "10.00", "bank": other},
        headers=financing.admin,
    )
    assert as_admin.status_code == 422
    assert as_admin.json()["errors"][0]["pointer"] == "#/body/bank"
    impersonating = await financing.client.post(
        f"/v1/whitelist/{entry['id']}/bank-decisions",
        json={"decision": "approve", "amount": "10.00", "bank": pushed},
        headers=auth("bank", bank=other),
    )
    # The entry was never pushed to this bank: out of its scope, so 404 before the body is even read.
    assert impersonating.status_code == 404
    assert await financing.snapshot() == before


async def test_direct_credit_lines_and_filters(financing: Financing) -> None:
    bank = await financing.bank()
    project = financing.project()
    await financing.pushed_entry([bank], project)
    response = await financing.client.post(
        "/v1/credit-lines",
        json={"project_id": project["id"], "kind": "other", "approved_amount": "300.00", "approved_on": "2025-03-01"},
        headers=auth("bank", bank=bank),
    )
    assert response.status_code == 201, response.text
    assert response.json()["district"] == project["district"]
    await financing.credit_line(bank, amount="700.00", kind="special_loan")
    by_kind = (await financing.client.get("/v1/credit-lines", params={"kind": "other"}, headers=financing.admin)).json()
    assert [line["approved_amount"] for line in by_kind["items"]] == ["300.00"]
    by_project = (
        await financing.client.get("/v1/credit-lines", params={"project_id": project["id"]}, headers=financing.admin)
    ).json()
    assert len(by_project["items"]) == 1
    unregistered = await financing.client.post(
        "/v1/credit-lines",
        json={"project_id": project["id"], "kind": "other", "approved_amount": "1.00"},
        headers=auth("bank", bank="GHOST-1"),
    )
    assert unregistered.status_code == 403
    no_bank = await financing.client.post(
        "/v1/credit-lines",
        json={"project_id": project["id"], "kind": "other", "approved_amount": "1.00"},
        headers=financing.admin,
    )
    assert no_bank.status_code == 422

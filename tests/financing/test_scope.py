"""Bank A sees nothing of bank B's: entries, decisions, lines, disbursements, endpoints, deliveries, events."""

from __future__ import annotations

from services.common import clock
from tests.financing.conftest import Financing
from tests.support.apps import auth


async def test_bank_a_sees_nothing_of_bank_b(financing: Financing) -> None:
    bank_a, bank_b = await financing.bank(), await financing.bank()
    a, b = auth("bank", bank=bank_a), auth("bank", bank=bank_b)
    line_a = await financing.credit_line(bank_a, amount="100.00")
    line_b = await financing.credit_line(bank_b, amount="100.00")
    shared = await financing.pushed_entry([bank_a, bank_b])
    decline_b = await financing.decide(shared["id"], bank_b, decision="decline", reason="不符合授信政策")
    disbursement_b = (await financing.disburse(line_b["id"], bank_b, "10.00")).json()
    endpoint_b = await financing.endpoint(bank_b, "http://127.0.0.1:9/b", ["credit_line.approved"])
    await financing.endpoint(bank_a, "http://127.0.0.1:9/a", ["credit_line.approved"])
    project_of_b = line_b["project_id"]

    entries = (await financing.client.get("/v1/whitelist", headers=a)).json()["items"]
    assert line_b["entry_id"] not in {e["id"] for e in entries}
    assert {e["id"] for e in entries} == {line_a["entry_id"], shared["id"]}
    shared_for_a = next(e for e in entries if e["id"] == shared["id"])
    assert [p["bank"] for p in shared_for_a["pushes"]] == [bank_a]
    assert (await financing.client.get(f"/v1/whitelist/{line_b['entry_id']}", headers=a)).status_code == 404
    assert (await financing.client.get("/v1/whitelist", params={"project_id": project_of_b}, headers=a)).json()[
        "items"
    ] == []
    assert (await financing.client.get(f"/v1/whitelist/{shared['id']}/history", headers=a)).status_code == 403

    decisions = (await financing.client.get("/v1/whitelist/decisions", headers=a)).json()["items"]
    assert {d["bank"] for d in decisions} == {bank_a}
    assert (await financing.client.get("/v1/whitelist/decisions", params={"bank": bank_b}, headers=a)).json()[
        "items"
    ] == []
    decision_url = f"/v1/whitelist/decisions/{decline_b.json()['id']}"
    assert (await financing.client.get(decision_url, headers=a)).status_code == 404

    lines = (await financing.client.get("/v1/credit-lines", headers=a)).json()["items"]
    assert [line["id"] for line in lines] == [line_a["id"]]
    lines_of_b = (await financing.client.get("/v1/credit-lines", headers=b)).json()["items"]
    assert [line["id"] for line in lines_of_b] == [line_b["id"]]
    assert (await financing.client.get(f"/v1/credit-lines/{line_b['id']}", headers=a)).status_code == 404
    assert (await financing.client.get(f"/v1/credit-lines/{line_b['id']}/disbursements", headers=a)).status_code == 404
    assert (await financing.client.get(f"/v1/disbursements/{disbursement_b['id']}", headers=a)).status_code == 404
    before = await financing.snapshot()
    steal = await financing.disburse(line_b["id"], bank_a, "1.00")
    assert steal.status_code == 404
    reversal = await financing.client.post(
        f"/v1/disbursements/{disbursement_b['id']}/reversal", json={"reason": "x"}, headers=a
    )
    assert reversal.status_code == 404
    assert await financing.snapshot() == before

    endpoints = (await financing.client.get("/v1/webhook-endpoints", headers=a)).json()["items"]
    assert {e["bank"] for e in endpoints} == {bank_a}
    endpoint_url = f"/v1/webhook-endpoints/{endpoint_b['id']}"
    assert (await financing.client.get(endpoint_url, headers=a)).status_code == 404
    assert (await financing.client.get(f"{endpoint_url}/deliveries", headers=a)).status_code == 404
    assert (await financing.client.patch(endpoint_url, json={"enabled": False}, headers=a)).status_code == 404
    assert (await financing.client.post(f"{endpoint_url}/rotate-secret", headers=a)).status_code == 404
    recover = await financing.client.post(f"{endpoint_url}/recover", json={"since": "2025-01-01T00:00:00Z"}, headers=a)
    assert recover.status_code == 404
    assert (await financing.client.delete(endpoint_url, headers=a)).status_code == 404

    events = (await financing.client.get("/v1/events", params={"limit": 500}, headers=a)).json()["items"]
    assert events
    assert all(e["data"].get("bank") in (bank_a, None) for e in events)
    assert project_of_b not in {e["data"]["project_id"] for e in events}
    all_events = (await financing.client.get("/v1/events", params={"limit": 500}, headers=financing.admin)).json()
    assert len(all_events["items"]) > len(events)

    banks = (await financing.client.get("/v1/banks", headers=a)).json()["items"]
    assert [bank["code"] for bank in banks] == [bank_a]
    assert (await financing.client.get(f"/v1/banks/{bank_b}", headers=a)).status_code == 404

    month = clock.today().strftime("%Y-%m")
    report = (await financing.client.get("/v1/reports/financing", params={"month": month}, headers=a)).json()
    assert {row["bank"] for row in report["rows"]} == {bank_a}
    assert report["total"]["projects_declined"] == 0


async def test_a_bank_may_not_act_for_another(financing: Financing) -> None:
    bank_a, bank_b = await financing.bank(), await financing.bank()
    entry = await financing.pushed_entry([bank_a, bank_b])
    before = await financing.snapshot()
    response = await financing.client.post(
        f"/v1/whitelist/{entry['id']}/bank-decisions",
        json={"decision": "decline", "reason": "x", "bank": bank_b},
        headers=auth("bank", bank=bank_a),
    )
    assert response.status_code == 403
    endpoint = await financing.client.post(
        "/v1/webhook-endpoints",
        json={"url": "http://127.0.0.1:9/x", "event_types": ["credit_line.approved"], "bank": bank_b},
        headers=auth("bank", bank=bank_a),
    )
    assert endpoint.status_code == 403
    assert await financing.snapshot() == before
    for method, url in (("post", "/v1/whitelist"), ("post", f"/v1/whitelist/{entry['id']}/transitions")):
        refused = await financing.client.request(method, url, json={}, headers=auth("bank", bank=bank_a))
        assert refused.status_code == 403


async def test_a_city_admin_acts_for_the_bank_it_names_and_claims_do_not_confine_it(financing: Financing) -> None:
    bank, other = await financing.bank(), await financing.bank()
    project = financing.project()
    body = {"project_id": project["id"], "kind": "other", "approved_amount": "5.00"}
    before = await financing.snapshot()
    nameless = await financing.client.post("/v1/credit-lines", json=body, headers=financing.admin)
    assert nameless.status_code == 422
    assert [e["pointer"] for e in nameless.json()["errors"]] == ["#/body/bank"]
    assert await financing.snapshot() == before
    named = await financing.client.post("/v1/credit-lines", json={**body, "bank": bank}, headers=financing.admin)
    assert named.status_code == 201, named.text
    assert named.json()["bank"] == bank
    # Only a bank's token confines it to its bank, only an officer's to its district: an admin token that
    # happens to carry such claims still sees everything.
    stray = auth("city_admin", bank=other, district="990102")
    lines = (await financing.client.get("/v1/credit-lines", headers=stray)).json()["items"]
    assert [line["id"] for line in lines] == [named.json()["id"]]
    for_other = await financing.client.post(
        "/v1/credit-lines", json={**body, "bank": other}, headers=auth("bank", bank=bank)
    )
    assert (for_other.status_code, for_other.json()["type"]) == (403, "urn:handover:problem:forbidden")

"""Who sees the policy funds: district officers their district's, banks only the programs they pay out."""

from __future__ import annotations

from tests.financing.conftest import DISTRICT, OTHER_DISTRICT
from tests.financing.funds.conftest import Funds
from tests.support.apps import LazyAuth, auth

OFFICER = LazyAuth("district_officer", district=DISTRICT)
OTHER_OFFICER = LazyAuth("district_officer", district=OTHER_DISTRICT)


async def test_district_officers_see_and_pay_only_their_district(funds: Funds) -> None:
    program = await funds.program()
    own = await funds.allocation(program["id"], "100.00")
    other = await funds.allocation(program["id"], "100.00", funds.financing.project(district=OTHER_DISTRICT))
    other_payment = (await funds.pay(other["id"], "10.00", headers=OTHER_OFFICER)).json()
    before = await funds.snapshot()

    listed = (await funds.get(f"/v1/fund-programs/{program['id']}/allocations", headers=OFFICER)).json()["items"]
    assert [a["id"] for a in listed] == [own["id"]]
    assert (await funds.get(f"/v1/fund-programs/{program['id']}", headers=OFFICER)).status_code == 200
    for path in (
        f"/v1/allocations/{other['id']}",
        f"/v1/allocations/{other['id']}/payments",
        f"/v1/payments/{other_payment['id']}",
    ):
        assert (await funds.get(path, headers=OFFICER)).status_code == 404, path
    assert (await funds.pay(other["id"], "10.00", headers=OFFICER)).status_code == 404
    assert (await funds.reverse(other_payment["id"], headers=OFFICER)).status_code == 404
    assert await funds.snapshot() == before
    assert (await funds.pay(own["id"], "10.00", headers=OFFICER)).status_code == 201
    viewer = auth("viewer")
    assert len((await funds.get(f"/v1/fund-programs/{program['id']}/allocations", headers=viewer)).json()["items"]) == 2
    assert (await funds.get(f"/v1/payments/{other_payment['id']}", headers=viewer)).status_code == 200


async def test_banks_see_only_the_programs_they_pay_out(funds: Funds) -> None:
    paying, stranger = await funds.financing.bank(), await funds.financing.bank()
    paid_by_bank = await funds.program(paying_bank=paying)
    without_bank = await funds.program()
    allocation = await funds.allocation(paid_by_bank["id"], "100.00")
    hidden = await funds.allocation(without_bank["id"], "100.00")
    payment = (await funds.pay(allocation["id"], "10.00")).json()
    hidden_payment = (await funds.pay(hidden["id"], "10.00")).json()
    bank, other_bank = auth("bank", bank=paying), auth("bank", bank=stranger)

    assert [p["id"] for p in (await funds.get("/v1/fund-programs", headers=bank)).json()["items"]] == [
        paid_by_bank["id"]
    ]
    assert (await funds.get(f"/v1/fund-programs/{paid_by_bank['id']}", headers=bank)).status_code == 200
    assert (await funds.get(f"/v1/allocations/{allocation['id']}/payments", headers=bank)).json()["items"][0][
        "id"
    ] == payment["id"]
    assert (await funds.get(f"/v1/payments/{payment['id']}", headers=bank)).status_code == 200
    for path in (
        f"/v1/fund-programs/{without_bank['id']}",
        f"/v1/fund-programs/{without_bank['id']}/allocations",
        f"/v1/allocations/{hidden['id']}",
        f"/v1/allocations/{hidden['id']}/payments",
        f"/v1/payments/{hidden_payment['id']}",
    ):
        assert (await funds.get(path, headers=bank)).status_code == 404, path
    assert (await funds.get("/v1/fund-programs", headers=other_bank)).json()["items"] == []
    for path in (f"/v1/fund-programs/{paid_by_bank['id']}", f"/v1/payments/{payment['id']}"):
        assert (await funds.get(path, headers=other_bank)).status_code == 404, path
    assert (await funds.get(f"/v1/fund-targets/{paid_by_bank['year']}", headers=bank)).status_code == 403
    assert (await funds.pay(allocation["id"], "10.00", headers=bank)).status_code == 403
    assert (await funds.reverse(payment["id"], headers=bank)).status_code == 403

    types = ("fund.allocated", "fund.payment_recorded")
    seen = [event["allocation_id"] for t in types for event in await funds.events(t, headers=bank)]
    assert seen == [allocation["id"], allocation["id"]]
    assert [event for t in types for event in await funds.events(t, headers=other_bank)] == []
    audience = await funds.financing.rows(
        "SELECT a.bank, a.type FROM event_audience a JOIN outbox_events e ON e.id = a.event_id "
        "WHERE e.type LIKE 'fund.%' ORDER BY a.type"
    )
    assert [(row.bank, row.type) for row in audience] == [(paying, "fund.allocated"), (paying, "fund.payment_recorded")]


async def test_a_paying_bank_s_endpoint_receives_the_program_s_events(funds: Funds) -> None:
    paying = await funds.financing.bank()
    endpoint = await funds.financing.endpoint(
        paying, "http://127.0.0.1:9/funds", ["fund.allocated", "fund.payment_recorded", "fund.payment_reversed"]
    )
    program = await funds.program(paying_bank=paying)
    allocation = await funds.allocation(program["id"], "100.00")
    payment = (await funds.pay(allocation["id"], "10.00")).json()
    assert (await funds.reverse(payment["id"])).status_code == 200
    unpaid = await funds.program()
    await funds.allocation(unpaid["id"], "100.00")
    deliveries = await funds.financing.rows(
        "SELECT e.type FROM outbox_deliveries d JOIN outbox_events e ON e.id = d.event_id "
        f"WHERE d.endpoint_id = '{endpoint['id']}' ORDER BY e.created_at"
    )
    assert [row.type for row in deliveries] == ["fund.allocated", "fund.payment_recorded", "fund.payment_reversed"]

"""Fund programs: recorded by city admins, refused when malformed, audited, listed and filtered."""

from __future__ import annotations

from datetime import timedelta

from services.common import clock
from tests.financing.conftest import DISTRICT
from tests.financing.funds.conftest import Funds
from tests.support.apps import auth


async def test_a_program_is_recorded_listed_and_audited(funds: Funds) -> None:
    bank = await funds.financing.bank()
    response = await funds.client.post(
        "/v1/fund-programs",
        json={
            "name": "2025年省级纾困资金",
            "source": "provincial_relief",
            "year": 2025,
            "granted_amount": "300000000.5",
            "granted_on": "2025-03-01",
            "cutover_date": "2022-07-01",
            "eligible_uses": ["construction", "utilities"],
            "paying_bank": bank,
        },
        headers=funds.admin,
    )
    assert response.status_code == 201, response.text
    program = response.json()
    assert response.headers["location"] == f"/v1/fund-programs/{program['id']}"
    assert program | {"id": "", "created_at": ""} == {
        "id": "",
        "name": "2025年省级纾困资金",
        "source": "provincial_relief",
        "year": 2025,
        "granted_amount": "300000000.50",
        "allocated_amount": "0.00",
        "unallocated_amount": "300000000.50",
        "paid_amount": "0.00",
        "granted_on": "2025-03-01",
        "cutover_date": "2022-07-01",
        "eligible_uses": ["construction", "utilities"],
        "paying_bank": bank,
        "created_at": "",
    }
    assert (await funds.get(f"/v1/fund-programs/{program['id']}")).json() == program
    later = await funds.program(year=2026, source="other")
    listed = (await funds.get("/v1/fund-programs")).json()["items"]
    assert [p["id"] for p in listed] == [later["id"], program["id"]]
    assert [p["id"] for p in (await funds.get("/v1/fund-programs", year=2025)).json()["items"]] == [program["id"]]
    assert [p["id"] for p in (await funds.get("/v1/fund-programs", source="other")).json()["items"]] == [later["id"]]
    page = (await funds.get("/v1/fund-programs", limit=1)).json()
    assert [p["id"] for p in page["items"]] == [later["id"]]
    rest = (await funds.get("/v1/fund-programs", limit=1, cursor=page["next_cursor"])).json()
    assert [p["id"] for p in rest["items"]] == [program["id"]] and rest["next_cursor"] is None

    officer = auth("district_officer", district=DISTRICT)
    assert len((await funds.get("/v1/fund-programs", headers=officer)).json()["items"]) == 2
    [entry] = (await funds.get("/v1/audit", entity_id=program["id"])).json()["items"]
    assert (entry["entity"], entry["action"], entry["actor_role"]) == ("fund_program", "created", "city_admin")
    assert entry["after"]["granted_amount"] == "300000000.50" and entry["before"] is None


async def test_only_city_admins_record_programs(funds: Funds) -> None:
    body = {
        "name": "x",
        "source": "other",
        "year": 2025,
        "granted_amount": "1.00",
        "cutover_date": "2022-01-01",
        "eligible_uses": ["construction"],
    }
    before = await funds.snapshot()
    for headers in (
        auth("district_officer", district=DISTRICT),
        auth("viewer"),
        auth("bank", bank="ICBC"),
        auth("service"),
    ):
        response = await funds.client.post("/v1/fund-programs", json=body, headers=headers)
        assert response.status_code == 403, response.text
    assert (await funds.client.post("/v1/fund-programs", json=body)).status_code == 401
    assert (await funds.client.get("/v1/audit", headers=auth("viewer"))).status_code == 403
    assert await funds.snapshot() == before


async def test_malformed_programs_are_refused_and_change_nothing(funds: Funds) -> None:
    await funds.program(name="已有的批次", year=2025)
    before = await funds.snapshot()
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    cases = [
        ({"granted_amount": "1000000000000.01"}, "#/body/granted_amount", 422),
        ({"granted_amount": "0.00"}, "#/body/granted_amount", 422),
        ({"granted_amount": 100}, "#/body/granted_amount", 422),
        ({"granted_amount": "1.005"}, "#/body/granted_amount", 422),
        ({"eligible_uses": []}, "#/body/eligible_uses", 422),
        ({"eligible_uses": ["construction", "construction"]}, "#/body/eligible_uses", 422),
        ({"eligible_uses": ["old_debts"]}, "#/body/eligible_uses/0", 422),
        ({"source": "bank_loan"}, "#/body/source", 422),
        ({"year": 1999}, "#/body/year", 422),
        ({"cutover_date": "2022-02-30"}, "#/body/cutover_date", 422),
        ({"granted_on": tomorrow}, "#/body/granted_on", 422),
        ({"paying_bank": "NOBANK"}, "#/body/paying_bank", 422),
        ({"name": ""}, "#/body/name", 422),
        ({"surprise": 1}, "#/body/surprise", 422),
    ]
    for fields, pointer, status in cases:
        body = {
            "name": "新批次",
            "source": "special_loan",
            "year": 2025,
            "granted_amount": "1000.00",
            "cutover_date": "2022-01-01",
            "eligible_uses": ["construction"],
            **fields,
        }
        response = await funds.client.post("/v1/fund-programs", json=body, headers=funds.admin)
        assert response.status_code == status, (fields, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert pointer in [e["pointer"] for e in response.json()["errors"]], (fields, response.json())
    duplicate = await funds.client.post(
        "/v1/fund-programs",
        json={
            "name": "已有的批次",
            "source": "other",
            "year": 2025,
            "granted_amount": "5.00",
            "cutover_date": "2022-01-01",
            "eligible_uses": ["materials"],
        },
        headers=funds.admin,
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["type"] == "urn:handover:problem:duplicate-program"
    assert await funds.snapshot() == before
    ceiling = await funds.program(granted_amount="1000000000000.00")
    assert ceiling["granted_amount"] == "1000000000000.00"
    assert (await funds.get("/v1/fund-programs/00000000-0000-0000-0000-000000000000")).status_code == 404

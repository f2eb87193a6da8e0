"""Yearly targets: set by city admins, audited, read against the programs granted for the year."""

from __future__ import annotations

from datetime import timedelta

from services.common import clock
from tests.financing.conftest import DISTRICT, OTHER_DISTRICT
from tests.financing.funds.conftest import Funds
from tests.support.apps import auth


async def test_a_target_is_read_against_the_actual(funds: Funds) -> None:
    year = clock.today().year
    empty = (await funds.get(f"/v1/fund-targets/{year}")).json()
    assert empty | {"updated_at": None} == {
        "year": year,
        "amount_sought": None,
        "projects_to_support": None,
        "programs": 0,
        "amount_granted": "0.00",
        "amount_allocated": "0.00",
        "amount_paid": "0.00",
        "projects_supported": 0,
        "updated_at": None,
    }
    body = {"amount_sought": "5000000.00", "projects_to_support": 3}
    put = await funds.client.put(f"/v1/fund-targets/{year}", json=body, headers=funds.admin)
    assert put.status_code == 200, put.text
    first = await funds.program(granted_amount="1000000.00")
    second = await funds.program(granted_amount="2500000.50", source="provincial_relief")
    await funds.program(granted_amount="7.00", year=year - 1)
    project = funds.financing.project()
    a = await funds.allocation(first["id"], "300000.00", project)
    await funds.allocation(second["id"], "200000.00", project)
    await funds.allocation(second["id"], "100000.00", funds.financing.project(district=OTHER_DISTRICT))
    paid = (await funds.pay(a["id"], "1000.00")).json()
    await funds.pay(a["id"], "500.00")
    await funds.reverse(paid["id"])

    target = (await funds.get(f"/v1/fund-targets/{year}", headers=auth("district_officer", district=DISTRICT))).json()
    assert (target["amount_sought"], target["projects_to_support"]) == ("5000000.00", 3)
    assert (target["programs"], target["amount_granted"], target["amount_allocated"]) == (2, "3500000.50", "600000.00")
    assert (target["amount_paid"], target["projects_supported"]) == ("500.00", 2)
    assert target["updated_at"] is not None

    assert (await funds.client.put(f"/v1/fund-targets/{year}", json=body, headers=funds.admin)).status_code == 200
    changed = {"amount_sought": "6000000.00", "projects_to_support": 4}
    assert (await funds.client.put(f"/v1/fund-targets/{year}", json=changed, headers=funds.admin)).status_code == 200
    audited = (await funds.get("/v1/audit", entity="fund_target")).json()["items"]
    assert [(e["action"], e["before"], e["after"]) for e in audited] == [
        ("updated", {"amount_sought": "5000000.00", "projects_to_support": 3}, changed),
        ("created", None, body),
    ]


async def test_targets_are_set_by_city_admins_and_refused_when_malformed(funds: Funds) -> None:
    year = clock.today().year
    before = await funds.snapshot()
    good = {"amount_sought": "1.00", "projects_to_support": 1}
    for headers in (auth("district_officer", district=DISTRICT), auth("viewer"), auth("bank", bank="ICBC")):
        assert (await funds.client.put(f"/v1/fund-targets/{year}", json=good, headers=headers)).status_code == 403
    for path_year, body, pointer in (
        (year, {"amount_sought": "-1.00", "projects_to_support": 1}, "#/body/amount_sought"),
        (year, {"amount_sought": "1.00", "projects_to_support": 0}, "#/body/projects_to_support"),
        (year, {"amount_sought": "1.00"}, "#/body/projects_to_support"),
        (1999, good, "#/path/year"),
        (2100, good, "#/path/year"),
    ):
        response = await funds.client.put(f"/v1/fund-targets/{path_year}", json=body, headers=funds.admin)
        assert response.status_code == 422, response.text
        assert pointer in [e["pointer"] for e in response.json()["errors"]]
    assert await funds.snapshot() == before
    assert (await funds.get("/v1/fund-targets/1999")).status_code == 422
    next_year = (clock.today() + timedelta(days=366)).year
    assert (await funds.get(f"/v1/fund-targets/{next_year}")).json()["programs"] == 0

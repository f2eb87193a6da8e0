"""Funding positions for the risk service and the monthly financing report."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook

from services.common import clock
from services.common.media import XLSX
from services.common.peers.financing import FinancingClient
from services.financing.funding.schemas import FundingPositionRead
from services.financing.reports.service import make_period
from tests.financing.conftest import DISTRICT, OTHER_DISTRICT, Financing
from tests.support.apps import auth, expect
from tests.support.peers import funding_position


async def test_funding_positions_in_bulk(financing: Financing) -> None:
    first, second = await financing.bank(), await financing.bank()
    project = financing.project()
    line = await financing.credit_line(first, amount="1000.00", project=project)
    expect(await financing.disburse(line["id"], first, "250.50"), 201)
    # The project was pushed to the first bank only; a city admin records the second bank's line.
    direct = await financing.client.post(
        "/v1/credit-lines",
        json={
            "project_id": project["id"],
            "bank": second,
            "kind": "special_loan",
            "approved_amount": "300.00",
            "approved_on": "2020-01-01",
            "maturity_date": "2021-01-01",
        },
        headers=financing.admin,
    )
    expect(direct, 201)
    other = await financing.credit_line(second, amount="10.00")
    service = auth("service")
    answer = await financing.client.post(
        "/v1/funding-positions/query", json={"project_ids": [project["id"], "unknown"]}, headers=service
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["items"] == [
        {
            "project_id": project["id"],
            "approved_amount": "1300.00",
            "disbursed_amount": "250.50",
            "undrawn_amount": "749.50",
            "credit_lines": 2,
            "unspent_allocations": "0.00",
        }
    ]
    every = (await financing.client.post("/v1/funding-positions/query", json={"all": True}, headers=service)).json()
    assert {p["project_id"] for p in every["items"]} == {project["id"], other["project_id"]}
    for bad in ({}, {"all": False}, {"all": True, "project_ids": []}, {"project_ids": "x"}):
        response = await financing.client.post("/v1/funding-positions/query", json=bad, headers=service)
        assert response.status_code == 422, bad
    bank_token = auth("bank", bank=first)
    assert (
        await financing.client.post("/v1/funding-positions/query", json={"all": True}, headers=bank_token)
    ).status_code == 403
    client = FinancingClient(financing.client)
    client.http.headers.update(service)
    answer = await client.query_funding_positions([project["id"]])
    assert str(answer.positions[project["id"]].undrawn_amount) == "749.50"


async def test_monthly_report_by_district_bank_and_kind(financing_factory: Callable[..., Any]) -> None:
    async with financing_factory() as financing:
        await _monthly_report(financing)


async def _monthly_report(financing: Financing) -> None:
    first, second = await financing.bank(), await financing.bank()
    today = clock.today()
    here = financing.project(district=DISTRICT)
    there = financing.project(district=OTHER_DISTRICT)
    entry = await financing.pushed_entry([first, second], here)
    approve = await financing.decide(
        entry["id"], first, decision="approve", amount="1000.00", kind="special_loan", approved_on=today.isoformat()
    )
    line_id = expect(approve, 201).json()["credit_line_id"]
    expect(await financing.decide(entry["id"], second, decision="decline", reason="风险过高"), 201)
    expect(await financing.disburse(line_id, first, "100.00"), 201)
    reversed_one = expect(await financing.disburse(line_id, first, "50.00"), 201).json()
    reversal = await financing.client.post(
        f"/v1/disbursements/{reversed_one['id']}/reversal", json={"reason": "错账"}, headers=auth("bank", bank=first)
    )
    expect(reversal, 200)
    entry_there = await financing.pushed_entry([first], there)
    there_approved = await financing.decide(
        entry_there["id"], first, decision="approve", amount="500.00", approved_on=today.isoformat()
    )
    expect(there_approved, 201)
    month = today.strftime("%Y-%m")
    report = (
        await financing.client.get("/v1/reports/financing", params={"month": month}, headers=financing.admin)
    ).json()
    rows = {(r["district"], r["bank"]): r for r in report["rows"]}
    mine = rows[(DISTRICT, first)]
    # What the registry's bulletin reads of this report, through the same client, with a service token.
    client = FinancingClient(financing.client)
    client.http.headers.update(auth("service"))
    read = {(r.district, r.bank): r for r in (await client.financing_report(month)).rows}
    assert set(read) == set(rows)
    assert (str(read[(DISTRICT, first)].credit_approved), str(read[(DISTRICT, first)].amount_disbursed)) == (
        mine["credit_approved"],
        mine["amount_disbursed"],
    )
    assert (mine["projects_pushed"], mine["projects_approved"], mine["projects_declined"]) == (1, 1, 0)
    assert (mine["credit_approved"], mine["amount_disbursed"]) == ("1000.00", "100.00")
    assert mine["by_kind"] == [
        {"kind": "special_loan", "credit_lines_approved": 1, "credit_approved": "1000.00", "amount_disbursed": "100.00"}
    ]
    assert rows[(DISTRICT, second)]["projects_declined"] == 1
    assert rows[(OTHER_DISTRICT, first)]["by_kind"][0]["kind"] == "development_loan"
    total = report["total"]
    assert (total["projects_pushed"], total["projects_approved"], total["projects_declined"]) == (2, 2, 1)
    assert (total["credit_approved"], total["amount_disbursed"]) == ("1500.00", "100.00")

    officer = auth("district_officer", district=OTHER_DISTRICT)
    theirs = (await financing.client.get("/v1/reports/financing", params={"month": month}, headers=officer)).json()
    assert {r["district"] for r in theirs["rows"]} == {OTHER_DISTRICT}
    assert theirs["total"]["credit_approved"] == "500.00"

    as_csv = await financing.client.get(
        "/v1/reports/financing", params={"month": month}, headers={**financing.admin, "Accept": "text/csv"}
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert lines[0][:3] == ["district", "bank", "kind"]
    assert [DISTRICT, first, "all", "1", "1", "0", "1", "1000.00", "100.00"] in lines
    assert [DISTRICT, first, "special_loan", "", "", "", "1", "1000.00", "100.00"] in lines
    assert lines[-3][:3] == ["total", "", "all"]

    as_xlsx = await financing.client.get(
        "/v1/reports/financing", params={"month": month}, headers={**financing.admin, "Accept": XLSX}
    )
    assert as_xlsx.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet is not None and sheet.freeze_panes == "A2"
    cells = list(sheet.iter_rows())
    assert [c.value for c in cells[0]][:3] == ["区县代码", "银行", "授信类型"]
    [mine_cells] = [r for r in cells if [c.value for c in r][:3] == [DISTRICT, first, "all"]]
    assert [c.value for c in mine_cells][3:] == [1, 1, 0, 1, Decimal(mine["credit_approved"]), Decimal("100")]
    assert (mine_cells[7].number_format, mine_cells[7].data_type) == ("0.00", "n")

    future = (today.replace(day=1) + timedelta(days=40)).strftime("%Y-%m")
    assert (
        await financing.client.get("/v1/reports/financing", params={"month": future}, headers=financing.admin)
    ).status_code == 422
    empty = (
        await financing.client.get("/v1/reports/financing", params={"month": "2020-02"}, headers=financing.admin)
    ).json()
    assert empty["rows"] == [] and empty["total"]["credit_approved"] == "0.00"
    assert empty["period_end"] == "2020-02-29"


def test_report_months_are_the_city_s_days() -> None:
    clock.set_city_offset(8)
    period = make_period(date(2025, 6, 1), date(2025, 6, 30), None, None)
    assert period.starts_at == datetime(2025, 5, 31, 16, 0, tzinfo=UTC)
    assert period.ends_before == datetime(2025, 6, 30, 16, 0, tzinfo=UTC)


def test_the_financing_mock_answers_as_financing_does() -> None:
    FundingPositionRead.model_validate(funding_position("p-1", "10.00"))


async def test_a_month_near_year_one_is_refused_not_a_server_error(financing: Financing) -> None:
    for month in ("0001-01", "1899-12"):
        answer = await financing.client.get("/v1/reports/financing", params={"month": month}, headers=financing.admin)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["pointer"] == "#/query/month"
    assert (
        await financing.client.get("/v1/reports/financing", params={"month": "1900-01"}, headers=financing.admin)
    ).status_code == 200

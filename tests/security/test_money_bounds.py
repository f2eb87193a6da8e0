"""The money contract holds at its edges: amounts in ASCII digits only, a project's credit (and so its funding
position and disbursed sum) within 16 integer digits, sums that never overflow on SQLite, and one project's
unreadable position costing risk that project alone."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from services.common import clock
from services.common.money import MAX_AMOUNT
from services.risk.assessments.schemas import AssessmentTrigger
from tests.security.conftest import (
    ADMIN,
    Peers,
    Service,
    ServiceFactory,
    create_bank,
    known_project,
    pushed_to,
    whitelist_entry,
)
from tests.support import factories
from tests.support.apps import auth
from tests.support.peers import funding_position, risk_facts_item

MAX = "9999999999999999.99"
# Digits Python's \d and Decimal() read as numbers: full-width, Arabic-Indic, Devanagari, Thai.
FOREIGN_DIGITS = ["１２３.００", "١٢٣.٠٠", "१२३.००", "๑๒๓.๐๐", "12３.00"]
CREDIT_WRITES = ("credit_lines", "bank_decisions", "disbursements", "outbox_events")


@pytest.mark.parametrize("amount", FOREIGN_DIGITS)
async def test_money_in_other_scripts_digits_is_422_and_changes_nothing(
    registry: Service, financing: Service, peers: Peers, amount: str
) -> None:
    developer = await registry.client.post("/v1/developers", json=factories.developer(), headers=ADMIN)
    project = factories.project(developer.json()["id"], remaining_cost=amount)
    refused = await registry.client.post("/v1/projects", json=project, headers=ADMIN)
    assert refused.status_code == 422, refused.text
    assert [e["pointer"] for e in refused.json()["errors"]] == ["#/body/remaining_cost"]
    assert await registry.count("projects") == 0

    bank = await create_bank(financing, "BANK-D")
    project_id = known_project(peers)
    entry = await whitelist_entry(financing, project_id, pushed_to("BANK-D"))
    nominated = await financing.client.post(
        "/v1/whitelist",
        json={"project_id": known_project(peers), "category": "normal", "requested_amount": amount},
        headers=ADMIN,
    )
    assert nominated.status_code == 422
    before = await financing.counts("whitelist_entries", *CREDIT_WRITES)
    decision = await financing.client.post(
        f"/v1/whitelist/{entry}/bank-decisions", json={"decision": "approve", "amount": amount}, headers=bank
    )
    assert decision.status_code == 422
    assert decision.json()["errors"][0]["pointer"] == "#/body/amount"
    line = await financing.client.post(
        "/v1/credit-lines", json={"project_id": project_id, "kind": "other", "approved_amount": amount}, headers=bank
    )
    assert line.status_code == 422
    assert await financing.counts("whitelist_entries", *CREDIT_WRITES) == before


async def _pushed_project(financing: Service, peers: Peers, *banks: str) -> tuple[str, str]:
    project_id = known_project(peers)
    return project_id, await whitelist_entry(financing, project_id, pushed_to(*banks))


async def _approve(financing: Service, entry: str, bank: str, amount: str) -> dict[str, Any]:
    """The answer's body, with its status code under ``status`` (a problem's own ``status`` is the same)."""
    response = await financing.client.post(
        f"/v1/whitelist/{entry}/bank-decisions",
        json={"decision": "approve", "amount": amount},
        headers=auth("bank", bank=bank),
    )
    return {**response.json(), "status": response.status_code}


async def test_a_projects_credit_stops_at_the_money_contract(financing: Service, peers: Peers) -> None:
    first = await create_bank(financing, "BANK-E")
    await create_bank(financing, "BANK-F")
    project_id, entry = await _pushed_project(financing, peers, "BANK-E", "BANK-F")
    opened = await _approve(financing, entry, "BANK-E", "9999999999999999.00")
    assert opened["status"] == 201, opened
    before = await financing.counts(*CREDIT_WRITES)

    second = await _approve(financing, entry, "BANK-F", "1.00")
    assert second["status"] == 409, second
    assert second["type"] == "urn:handover:problem:project-credit-ceiling"
    direct = await financing.client.post(
        "/v1/credit-lines", json={"project_id": project_id, "kind": "other", "approved_amount": "1.00"}, headers=first
    )
    assert direct.status_code == 409
    assert await financing.counts(*CREDIT_WRITES) == before
    decisions = await financing.client.get("/v1/whitelist/decisions", params={"entry_id": entry}, headers=ADMIN)
    assert [d["bank"] for d in decisions.json()["items"]] == ["BANK-E"], "the refused approval left no decision"

    # Up to the last cent fits.
    fits = await financing.client.post(
        "/v1/credit-lines", json={"project_id": project_id, "kind": "other", "approved_amount": "0.99"}, headers=first
    )
    assert fits.status_code == 201, fits.text
    line = opened["credit_line_id"]
    drawn = await financing.client.post(
        f"/v1/credit-lines/{line}/disbursements",
        json={"amount": "9999999999999999.00", "disbursed_on": clock.today().isoformat(), "purpose": "工程款"},
        headers=first,
    )
    assert drawn.status_code == 201, drawn.text
    positions = await financing.client.post(
        "/v1/funding-positions/query", json={"project_ids": [project_id]}, headers=auth("service")
    )
    assert positions.json()["items"] == [
        {
            "project_id": project_id,
            "approved_amount": MAX,
            "disbursed_amount": "9999999999999999.00",
            "undrawn_amount": "0.99",
            "credit_lines": 2,
            "unspent_allocations": "0.00",
        }
    ]


async def test_concurrent_lines_cannot_pass_the_ceiling_together(financing: Service, peers: Peers) -> None:
    banks = [f"BANK-R{i}" for i in range(4)]
    for code in banks:
        await create_bank(financing, code)
    project_id, _ = await _pushed_project(financing, peers, *banks)
    half = f"{(MAX_AMOUNT / 2).quantize(Decimal('1')) + 1}.00"
    body = {"project_id": project_id, "kind": "other", "approved_amount": half}
    answers = await asyncio.gather(
        *(financing.client.post("/v1/credit-lines", json=body, headers=auth("bank", bank=code)) for code in banks)
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409], [a.text for a in answers]
    rows = await financing.rows("SELECT approved_amount FROM credit_lines WHERE project_id = :p", p=project_id)
    assert len(rows) == 1


async def test_city_sums_past_64_bits_are_exact_on_every_database(financing: Service, peers: Peers) -> None:
    """Ten projects at the ceiling: 1e17 yuan, 1e19 fen, past what SQLite's integer sum can hold."""
    with clock.frozen(datetime(2025, 6, 16, 4, tzinfo=UTC)):
        bank = "BANK-S"
        await create_bank(financing, bank)
        projects = []
        for _ in range(10):
            project_id, entry = await _pushed_project(financing, peers, bank)
            opened = await _approve(financing, entry, bank, MAX)
            assert opened["status"] == 201, opened
            drawn = await financing.client.post(
                f"/v1/credit-lines/{opened['credit_line_id']}/disbursements",
                json={"amount": MAX, "disbursed_on": "2025-06-16", "purpose": "工程款"},
                headers=auth("bank", bank=bank),
            )
            assert drawn.status_code == 201, drawn.text
            projects.append(project_id)
        report = await financing.client.get("/v1/reports/financing", params={"month": "2025-06"}, headers=ADMIN)
        assert report.status_code == 200, report.text
        total = report.json()["total"]
        assert total["credit_approved"] == str(MAX_AMOUNT * 10)
        assert total["amount_disbursed"] == str(MAX_AMOUNT * 10)
        csv = await financing.client.get(
            "/v1/reports/financing", params={"month": "2025-06"}, headers={**ADMIN, "Accept": "text/csv"}
        )
        assert csv.status_code == 200 and str(MAX_AMOUNT * 10) in csv.text
        every = await financing.client.post("/v1/funding-positions/query", json={"all": True}, headers=ADMIN)
        assert every.status_code == 200
        assert {p["approved_amount"] for p in every.json()["items"]} == {MAX}
        assert sorted(p["project_id"] for p in every.json()["items"]) == sorted(projects)


async def test_one_unreadable_funding_position_costs_risk_that_project_only(
    start_risk: ServiceFactory, peers: Peers
) -> None:
    broken, funded, unfunded = (str(uuid.uuid4()) for _ in range(3))
    for project_id in (broken, funded, unfunded):
        peers.facts.put(risk_facts_item(project_id, remaining_cost="100000000.00"))
    # Two maximal lines, as financing could sum them before its ceiling: 17 integer digits.
    peers.positions.put(funding_position(broken, "19999999999999999.98"))
    peers.positions.put(funding_position(funded, "60000000.00"))
    async with start_risk() as risk:
        run = await risk.client.post("/v1/assessments", json={"project_ids": [broken, funded, unfunded]}, headers=ADMIN)
        assert run.status_code == 200, run.text
        assert run.json()["funding_unknown"] is False, "financing answered"
        unknown = {item["project_id"]: item["funding_unknown"] for item in run.json()["items"]}
        assert unknown == {broken: True, funded: False, unfunded: False}
        history = await risk.client.get(f"/v1/projects/{funded}/assessments", headers=ADMIN)
        assert history.json()["items"][0]["facts"]["undrawn_amount"] == "60000000.00"

        # The funding retry leaves the broken project for later instead of assessing it unknown again.
        before = await risk.count("assessments")
        await risk.app.state.assessor.run([broken], AssessmentTrigger.funding_retry, require_funding=True)
        assert await risk.count("assessments") == before
        peers.positions.put(funding_position(broken, "5000000.00"))
        await risk.app.state.assessor.run([broken], AssessmentTrigger.funding_retry, require_funding=True)
        retried = await risk.client.get(f"/v1/projects/{broken}/assessments", headers=ADMIN)
        assert retried.json()["items"][0]["funding_unknown"] is False

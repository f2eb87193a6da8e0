"""The flows of the design, end to end over HTTP between real processes on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from services.common import clock
from services.common.days import week_of, week_start
from tests.support import factories, processes
from tests.support.apps import auth
from tests.system.conftest import Cluster, eventually, json_lines, received

pytestmark = [pytest.mark.system, pytest.mark.postgres]

BANK = "ICBC"


@pytest.fixture(scope="module")
def bank_receiver(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[processes.Process]:
    """ICBC's liaison system: an endpoint registered through financing, verifying every delivery."""
    with cluster.client("financing") as financing:
        response = financing.post("/v1/banks", json={"code": BANK, "name": "工商银行"}, headers=cluster.admin)
        assert response.status_code == 201, response.text
        port = processes.free_port()
        endpoint = financing.post(
            "/v1/webhook-endpoints",
            json={
                "url": f"http://127.0.0.1:{port}/webhooks",
                "event_types": [
                    "whitelist.entry_pushed",
                    "whitelist.bank_decision_recorded",
                    "credit_line.approved",
                    "disbursement.recorded",
                    "project.risk_tier_changed",
                ],
            },
            headers=auth("bank", bank=BANK),
        )
        assert endpoint.status_code == 201, endpoint.text
    process = processes.receiver(Path(tmp_path_factory.mktemp("receiver")), [endpoint.json()["secret"]], port=port)
    yield process
    process.stop()


def _project(cluster: Cluster) -> dict[str, Any]:
    with cluster.client("registry") as registry:
        developer = registry.post("/v1/developers", json=factories.developer(), headers=cluster.admin).json()
        response = registry.post(
            "/v1/projects",
            json=factories.project(developer["id"], remaining_cost="300000000.00", own_funds_available="50000000.00"),
            headers=cluster.admin,
        )
        assert response.status_code == 201, response.text
        return dict(response.json())


def test_whitelist_push_decision_and_disbursements(cluster: Cluster, bank_receiver: processes.Process) -> None:
    project = _project(cluster)
    officer = auth("district_officer", district=project["district"])
    bank = auth("bank", bank=BANK)
    with cluster.client("financing") as financing:
        entry = financing.post(
            "/v1/whitelist",
            json={"project_id": project["id"], "category": "temporary_difficulty", "requested_amount": "120000000.00"},
            headers=officer,
        )
        assert entry.status_code == 201, entry.text
        path = f"/v1/whitelist/{entry.json()['id']}/transitions"
        assert financing.post(path, json={"action": "prereview_pass"}, headers=officer).status_code == 200
        assert financing.post(path, json={"action": "city_approve"}, headers=cluster.admin).status_code == 200
        pushed = financing.post(path, json={"action": "push", "banks": [BANK]}, headers=cluster.admin)
        assert pushed.status_code == 200, pushed.text
        decision = financing.post(
            f"/v1/whitelist/{entry.json()['id']}/bank-decisions",
            json={"decision": "approve", "amount": "100000000.00", "kind": "special_loan"},
            headers=bank,
        )
        assert decision.status_code == 201, decision.text
        line = f"/v1/credit-lines/{decision.json()['credit_line_id']}"
        today = clock.today().isoformat()

        def disburse(amount: str, key: str) -> Any:
            return financing.post(
                f"{line}/disbursements",
                json={"amount": amount, "disbursed_on": today, "purpose": "主体结构施工款"},
                headers={**bank, "Idempotency-Key": key},
            )

        assert disburse("60000000.00", "t1").status_code == 201
        refused = disburse("50000000.00", "t2")
        assert refused.status_code == 409
        assert refused.headers["content-type"] == "application/problem+json"
        assert disburse("40000000.00", "t3").status_code == 201
        state = financing.get(line, headers=bank).json()
        assert (state["disbursed_amount"], state["available_amount"]) == ("100000000.00", "0.00")

        month = clock.today().strftime("%Y-%m")
        report = financing.get("/v1/reports/financing", params={"month": month}, headers=cluster.admin)
        assert report.status_code == 200, report.text
        (row,) = [r for r in report.json()["rows"] if (r["district"], r["bank"]) == (project["district"], BANK)]
        # Only this flow opens special loans: its line, approved at 100,000,000.00 and drawn 60 + 40 million.
        (special,) = [k for k in row["by_kind"] if k["kind"] == "special_loan"]
        drawn = Decimal("60000000.00") + Decimal("40000000.00")
        assert (special["credit_lines_approved"], special["credit_approved"], special["amount_disbursed"]) == (
            1,
            "100000000.00",
            f"{drawn:.2f}",
        )

    def events_for_project() -> set[str]:
        return {r["type"] for r in received(bank_receiver) if (r["data"] or {}).get("project_id") == project["id"]}

    eventually(
        lambda: {"whitelist.entry_pushed", "credit_line.approved", "disbursement.recorded"} <= events_for_project()
    )
    assert all(r["secret_index"] == 0 for r in received(bank_receiver)), "every delivery verified"


def test_a_stall_reaches_the_tier_cache_and_the_funding_bank(
    cluster: Cluster, bank_receiver: processes.Process
) -> None:
    project = _project(cluster)
    officer = auth("district_officer", district=project["district"])
    with cluster.client("financing") as financing:
        bank = auth("bank", bank=BANK)
        nominated = financing.post(
            "/v1/whitelist",
            json={"project_id": project["id"], "category": "normal", "requested_amount": "10000000.00"},
            headers=officer,
        )
        assert nominated.status_code == 201, nominated.text
        entry = nominated.json()
        path = f"/v1/whitelist/{entry['id']}/transitions"
        for step, headers in (
            ({"action": "prereview_pass"}, officer),
            ({"action": "city_approve"}, cluster.admin),
            ({"action": "push", "banks": [BANK]}, cluster.admin),
        ):
            moved = financing.post(path, json=step, headers=headers)
            assert moved.status_code == 200, (step, moved.text)
        decision = financing.post(
            f"/v1/whitelist/{entry['id']}/bank-decisions",
            json={"decision": "approve", "amount": "10000000.00", "kind": "development_loan"},
            headers=bank,
        )
        assert decision.status_code == 201, decision.text

    # A stall starts on the Monday of the week that reports it, so the month is that Monday's: thirty weeks
    # back from a Saturday lands in a week that may have begun in the previous month.
    week = week_of(clock.today() - timedelta(weeks=30))
    stalled_since = week_start(week)
    with cluster.client("registry") as registry:
        response = registry.post(
            f"/v1/projects/{project['id']}/progress-reports",
            json={
                "week": week,
                "progress_pct": "40.0",
                "working": False,
                "workers_on_site": 0,
                "issues": "停工",
                "actions": "约谈开发商",
            },
            headers={**officer, "X-Request-ID": "flow-stall-0001"},
        )
        assert response.status_code == 201, response.text

        def cached_tier() -> str | None:
            return registry.get(f"/v1/projects/{project['id']}", headers=cluster.admin).json()["risk_tier"]

        eventually(lambda: cached_tier() == "red")

    def tier_event() -> list[dict[str, Any]]:
        return [
            r
            for r in received(bank_receiver)
            if r["type"] == "project.risk_tier_changed" and r["data"]["project_id"] == project["id"]
        ]

    # The bank may hear of an earlier tier first; the red one follows the registry's.
    event = eventually(lambda: [e for e in tier_event() if e["data"]["tier"] == "red"])[-1]
    assert event["secret_index"] == 0

    for name in ("registry", "risk", "financing"):
        lines = [entry for entry in json_lines(cluster.logs(name)) if entry.get("request_id") == "flow-stall-0001"]
        assert lines, f"{name}'s logs never mention the flow's request id"
    assert event["request_id"] == "flow-stall-0001"

    month = stalled_since.strftime("%Y-%m")
    with cluster.client("registry") as registry:
        report = registry.get("/v1/reports/monthly", params={"month": month}, headers=cluster.admin).json()
    # The only stall in this cluster: started on that Monday and still open at the month's end.
    assert report["total"]["stalls_started"] == 1
    assert [(p["code"], p["stall_started_on"]) for p in report["stalled_projects"]] == [
        (project["code"], stalled_since.isoformat())
    ]

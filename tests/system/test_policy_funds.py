"""Policy funds across the services: a project's risk score falls when money is allocated to it in financing and
rises back as the money is spent, with registry, risk and financing as real processes on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from services.common import clock
from tests.support import factories
from tests.support.apps import auth
from tests.system.conftest import Cluster, assessment_made

pytestmark = [pytest.mark.system, pytest.mark.postgres]


def _assess(risk: httpx.Client, cluster: Cluster, project_id: str) -> dict[str, Any]:
    run = risk.post("/v1/assessments", json={"project_ids": [project_id]}, headers=cluster.admin)
    made = assessment_made(risk, cluster, run, project_id)
    assert made["funding_unknown"] is False
    return made


def test_the_score_falls_when_money_is_allocated_and_rises_as_it_is_spent(cluster: Cluster) -> None:
    with cluster.client("registry") as registry:
        developer = registry.post("/v1/developers", json=factories.developer(), headers=cluster.admin).json()
        project = registry.post(
            "/v1/projects",
            json=factories.project(developer["id"], remaining_cost="100000000.00", own_funds_available="0.00"),
            headers=cluster.admin,
        )
        assert project.status_code == 201, project.text
    project_id = project.json()["id"]
    officer = auth("district_officer", district=project.json()["district"])
    today = clock.today().isoformat()
    with cluster.client("risk") as risk, cluster.client("financing") as financing:
        unfunded = _assess(risk, cluster, project_id)
        assert unfunded["features"]["funding_gap_amount"] == "100000000.00"

        program = financing.post(
            "/v1/fund-programs",
            json={
                "name": "保交楼专项借款（系统测试）",
                "source": "special_loan",
                "year": clock.today().year,
                "granted_amount": "500000000.00",
                "cutover_date": (clock.today() - timedelta(days=365)).isoformat(),
                "eligible_uses": ["construction", "materials"],
            },
            headers=cluster.admin,
        )
        assert program.status_code == 201, program.text
        allocation = financing.post(
            f"/v1/fund-programs/{program.json()['id']}/allocations",
            json={"project_id": project_id, "amount": "90000000.00"},
            headers=cluster.admin,
        )
        assert allocation.status_code == 201, allocation.text
        allocated = _assess(risk, cluster, project_id)
        assert allocated["features"]["funding_gap_amount"] == "10000000.00"
        assert allocated["facts"]["unspent_allocations"] == "90000000.00"
        assert allocated["score"] < unfunded["score"]

        def pay(amount: str) -> None:
            response = financing.post(
                f"/v1/allocations/{allocation.json()['id']}/payments",
                json={
                    "amount": amount,
                    "paid_on": today,
                    "use": "construction",
                    "payee": {"name": "示范建工集团有限公司", "credit_code": factories.credit_code()},
                    "liability_incurred_on": today,
                    "evidence": [{"kind": "progress_certificate", "reference": "JD-2025-01"}],
                },
                headers={**officer, "Idempotency-Key": f"{project_id}-{amount}"},
            )
            assert response.status_code == 201, response.text

        pay("50000000.00")
        half_spent = _assess(risk, cluster, project_id)
        assert half_spent["features"]["funding_gap_amount"] == "60000000.00"
        assert allocated["score"] < half_spent["score"] <= unfunded["score"]
        pay("40000000.00")
        spent = _assess(risk, cluster, project_id)
        assert spent["features"]["funding_gap_amount"] == "100000000.00"
        assert spent["facts"]["unspent_allocations"] == "0.00"
        assert spent["score"] == unfunded["score"]

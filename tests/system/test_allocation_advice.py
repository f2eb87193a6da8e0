"""Allocation advice across the services: facts in registry, the plan from risk, allocations in financing, and
the next advice seeing the money allocated, with the three services as real processes on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from services.common import clock
from tests.support import factories
from tests.system.conftest import Cluster, assessment_made

pytestmark = [pytest.mark.system, pytest.mark.postgres]


def test_from_facts_to_plan_to_allocations(cluster: Cluster) -> None:
    with cluster.client("registry") as registry:
        developer = registry.post("/v1/developers", json=factories.developer(), headers=cluster.admin).json()
        ids = []
        for cost, own, sold in (
            ("200000000.00", "60000000.00", 900),
            ("80000000.00", "30000000.00", 400),
            ("40000000.00", "25000000.00", 150),
        ):
            project = registry.post(
                "/v1/projects",
                json=factories.project(
                    developer["id"], remaining_cost=cost, own_funds_available=own, sold_units=sold, total_units=1000
                ),
                headers=cluster.admin,
            )
            assert project.status_code == 201, project.text
            ids.append(project.json()["id"])
    with cluster.client("risk") as risk, cluster.client("financing") as financing:
        advice = risk.post(
            "/v1/allocation-advice", json={"budget": "120000000.00", "project_ids": ids}, headers=cluster.admin
        )
        assert advice.status_code == 200, advice.text
        answer = advice.json()
        assert answer["candidates"] == 3 and answer["plan"]
        gaps = {line["project_id"]: Decimal(line["gap_before"]) for line in answer["plan"]}
        expected_gaps = {
            ids[0]: Decimal("140000000.00"),
            ids[1]: Decimal("50000000.00"),
            ids[2]: Decimal("15000000.00"),
        }
        assert all(gaps[p] == expected_gaps[p] for p in gaps)
        for baseline in answer["baselines"]:
            assert baseline["expected_units_saved"] <= answer["totals"]["expected_units_saved"]

        program = financing.post(
            "/v1/fund-programs",
            json={
                "name": "保交楼专项借款（配置建议）",
                "source": "special_loan",
                "year": clock.today().year,
                "granted_amount": "500000000.00",
                "cutover_date": (clock.today() - timedelta(days=365)).isoformat(),
                "eligible_uses": ["construction", "materials"],
            },
            headers=cluster.admin,
        )
        assert program.status_code == 201, program.text
        lines = [{"project_id": line["project_id"], "amount": line["amount"]} for line in answer["plan"]]
        applied = financing.post(
            f"/v1/fund-programs/{program.json()['id']}/allocation-plans",
            json={"plan": lines, "advice": {"model_version": answer["model_version"], "as_of": answer["as_of"]}},
            headers={**cluster.admin, "Idempotency-Key": "advice-plan-1"},
        )
        assert applied.status_code == 201, applied.text
        assert applied.json()["allocated"] == answer["totals"]["allocated"]
        made = {a["project_id"]: a["amount"] for a in applied.json()["allocations"]}
        assert made == {line["project_id"]: line["amount"] for line in lines}

        # The money allocated now counts against each gap: the risk service sees what is left.
        run = risk.post("/v1/assessments", json={"project_ids": ids}, headers=cluster.admin)
        for project_id in ids:
            assessed = assessment_made(risk, cluster, run, project_id)
            left = expected_gaps[project_id] - Decimal(made.get(project_id, "0.00"))
            assert Decimal(assessed["features"]["funding_gap_amount"]) == left, project_id

"""Registry and risk as real processes: a stall recorded in registry ends with the new tier cached on the
project, through project.facts_changed and project.risk_tier_changed, with no call from the test to risk."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import orjson
import pytest

from services.common import clock
from services.common.days import week_of
from services.registry.app import MIGRATIONS as REGISTRY_MIGRATIONS
from services.risk.app import MIGRATIONS as RISK_MIGRATIONS
from tests.support import factories, processes
from tests.support.apps import auth

pytestmark = [pytest.mark.system, pytest.mark.processes]


@pytest.fixture
def services(database_factory: Callable[[str, Path], str], tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(registry URL, risk URL), each subscribed to the other's events; financing is a closed port."""
    registry_port, risk_port, financing_port = processes.free_port(), processes.free_port(), processes.free_port()
    registry_url, risk_url = f"http://127.0.0.1:{registry_port}", f"http://127.0.0.1:{risk_port}"
    shared = {
        "HANDOVER_REGISTRY_URL": registry_url,
        "HANDOVER_RISK_URL": risk_url,
        "HANDOVER_FINANCING_URL": f"http://127.0.0.1:{financing_port}",
    }
    registry = processes.service(
        "registry",
        tmp_path,
        {
            **shared,
            "REGISTRY_DATABASE_URL": database_factory("registry", REGISTRY_MIGRATIONS),
            "REGISTRY_SUBSCRIBERS": orjson.dumps(
                [{"url": f"{risk_url}/v1/inbox", "types": ["project.facts_changed"]}]
            ).decode(),
            "REGISTRY_DISPATCH_POLL_SECONDS": "0.1",
        },
        port=registry_port,
    )
    risk = processes.service(
        "risk",
        tmp_path,
        {
            **shared,
            "RISK_DATABASE_URL": database_factory("risk", RISK_MIGRATIONS),
            "RISK_SUBSCRIBERS": orjson.dumps(
                [{"url": f"{registry_url}/v1/inbox", "types": ["project.risk_tier_changed"]}]
            ).decode(),
            "RISK_DISPATCH_POLL_SECONDS": "0.1",
            "RISK_REASSESS_DELAY_SECONDS": "0.05",
        },
        port=risk_port,
    )
    try:
        registry.start(ready_path="/readyz")
        risk.start(ready_path="/readyz")
        yield registry_url, risk_url
    finally:
        risk.stop()
        registry.stop()


def _week(days_ago: int) -> str:
    return week_of(clock.today() - timedelta(days=days_ago))


def test_a_stall_in_registry_ends_as_a_tier_on_the_project(services: tuple[str, str]) -> None:
    registry_url, _ = services
    officer = auth("district_officer", sub="officer-1", district=factories.DISTRICT)
    with httpx.Client(base_url=registry_url, timeout=10) as registry:
        developer = registry.post("/v1/developers", json=factories.developer(), headers=auth("city_admin"))
        assert developer.status_code == 201, developer.text
        project = registry.post("/v1/projects", json=factories.project(developer.json()["id"]), headers=officer)
        assert project.status_code == 201, project.text
        project_id = project.json()["id"]
        report = registry.post(
            f"/v1/projects/{project_id}/progress-reports",
            json={
                "week": _week(210),
                "progress_pct": "40.0",
                "working": False,
                "workers_on_site": 0,
                "issues": "资金链断裂，工人撤场",
            },
            headers=officer,
        )
        assert report.status_code == 201, report.text

        deadline = time.monotonic() + 30
        tier = None
        while time.monotonic() < deadline:
            tier = registry.get(f"/v1/projects/{project_id}", headers=officer).json()["risk_tier"]
            if tier is not None:
                break
            time.sleep(0.2)
        assert tier == "red"

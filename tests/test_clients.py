"""The TypeScript clients generated from openapi/*.json compile under ``tsc --strict`` and work against the
real services: the example program of ``clients/examples`` runs against three service processes."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.common import clock
from services.common.credit_code import check_character
from tests.support import processes
from tests.support.apps import auth, token

pytestmark = pytest.mark.system

CLIENTS = processes.REPO / "clients"


def _require_node() -> None:
    """Skip without Node.js and the clients' packages (``make install``); under ``CI=true`` fail instead."""
    if shutil.which("npm") and (CLIENTS / "node_modules" / ".package-lock.json").exists():
        return
    message = "needs Node.js, npm and clients/node_modules: run `make install`"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def built() -> Path:
    """Generate the clients from the committed documents and compile them with the example (tsc --strict)."""
    _require_node()
    result = subprocess.run(["npm", "run", "--silent", "build"], cwd=CLIENTS, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return CLIENTS / "dist" / "examples" / "ledger.js"


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, processes.Process]]:
    workdir = tmp_path_factory.mktemp("clients")
    ports = {name: processes.free_port() for name in ("registry", "risk", "financing")}
    peers = {f"HANDOVER_{name.upper()}_URL": f"http://127.0.0.1:{port}" for name, port in ports.items()}
    started = {}
    try:
        for name in ("registry", "risk", "financing"):
            started[name] = processes.quiet_service(name, workdir, ports[name], RISK_RUN_WORKERS="false", **peers)
        yield started
    finally:
        for process in started.values():
            process.stop()


def _pushed_entry(services: dict[str, processes.Process]) -> str:
    """A project nominated, approved and pushed to a bank, so the event feed has something to show."""
    admin = auth("city_admin")
    registry, financing = services["registry"].url, services["financing"].url
    base = "91330100MA2H3K7P5"
    developer = httpx.post(
        f"{registry}/v1/developers",
        json={"name": "先行置业", "credit_code": base + check_character(base)},
        headers=admin,
    ).json()
    project = httpx.post(
        f"{registry}/v1/projects",
        json={
            "code": "CLIENTS-PUSHED",
            "name": "已推送项目",
            "district": "990101",
            "developer_id": developer["id"],
            "total_units": 100,
            "sold_units": 80,
            "contract_delivery_date": "2027-01-31",
            "remaining_cost": "1000000.00",
            "own_funds_available": "0.00",
        },
        headers=admin,
    ).json()
    assert httpx.post(f"{financing}/v1/banks", json={"code": "ICBC-HZ", "name": "工商银行"}, headers=admin).is_success
    entry = httpx.post(
        f"{financing}/v1/whitelist",
        json={"project_id": project["id"], "category": "normal", "requested_amount": "500000.00"},
        headers=admin,
    ).json()
    for step in ({"action": "prereview_pass"}, {"action": "city_approve"}, {"action": "push", "banks": ["ICBC-HZ"]}):
        answer = httpx.post(f"{financing}/v1/whitelist/{entry['id']}/transitions", json=step, headers=admin)
        assert answer.status_code == 200, answer.text
    return str(entry["id"])


def test_the_typed_example_runs_against_the_services(built: Path, services: dict[str, processes.Process]) -> None:
    entry_id = _pushed_entry(services)
    base = "91330100MA2H3K7P4"
    env = {
        **os.environ,
        "REGISTRY_URL": services["registry"].url,
        "RISK_URL": services["risk"].url,
        "FINANCING_URL": services["financing"].url,
        "TOKEN": token("city_admin"),
        "PROJECT_CODE": "CLIENTS-EXAMPLE",
        "CREDIT_CODE": base + check_character(base),
        "REPORT_MONTH": clock.today().strftime("%Y-%m"),
    }
    result = subprocess.run(["node", str(built)], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert out["location"] == f"/v1/projects/{out['project_id']}"
    assert out["etag"] == '"1"'
    assert out["stale_status"] == 412 and out["stale_type"] == "urn:handover:problem:precondition-failed"
    assert (out["name"], out["status"], out["version"], out["new_etag"]) == (
        "示例花园（一期）",
        "under_construction",
        2,
        '"2"',
    )
    assert out["request_id"]
    assert out["tier"] in ("red", "orange", "yellow", "green") and out["reasons"]
    assert out["bulletin_month"] == env["REPORT_MONTH"]
    assert next(csv.reader([out["csv_first_line"]]))[0] == "district"
    assert out["events"] == [f"entry {entry_id} pushed (500000.00 yuan requested)"]
    assert out["unknown_query_status"] == 422
    project = httpx.get(
        f"{services['registry'].url}/v1/projects/{out['project_id']}", headers=auth("city_admin")
    ).json()
    assert project["name"] == "示例花园（一期）" and project["status"] == "under_construction"

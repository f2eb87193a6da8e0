"""Hostile cursors on every list and extreme days on every date parameter and body field of the three services.

The endpoints are found in each app's own OpenAPI document, so an endpoint added tomorrow is covered the day it
lands: a list is a GET with a ``cursor`` parameter; a date is a parameter or body field of format ``date`` or
``date-time``, or with the month or week pattern. Each answer must be a 4xx problem (or, for a cursor that
happens to fit the list, a page) and no table may gain or lose a row.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI

from services.common import clock
from services.common.days import MONTH_PATTERN, WEEK_PATTERN, week_of
from services.common.pagination import decode_cursor, encode_cursor
from services.common.problems import PROBLEM_MEDIA_TYPE
from services.financing.models import Base as FinancingBase
from services.registry.models import Base as RegistryBase
from services.risk.models import Base as RiskBase
from tests.financing.funds.conftest import Funds, program_payload
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
from tests.support.peers import risk_facts_item

TABLES = {
    "registry": [t.name for t in RegistryBase.metadata.sorted_tables],
    "risk": [t.name for t in RiskBase.metadata.sorted_tables],
    "financing": [t.name for t in FinancingBase.metadata.sorted_tables],
}


def _raw(text: bytes) -> str:
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


# Cursors no list can take: wrong shapes, NUL, numbers past 64 bits, values of no field type.
REFUSED_CURSORS = {
    "not base64": "!!!~~~",
    "not JSON": _raw(b"{not json"),
    "an object": _raw(b'{"after": 1}'),
    "empty": encode_cursor([]),
    "too long": encode_cursor(["a", "b", "c", "d", "e"]),
    "NUL": encode_cursor(["a\u0000", "b\u0000"]),
    "one NUL": encode_cursor(["a\u0000"]),
    "nulls": encode_cursor([None, None]),
    "containers": encode_cursor([[], {}]),
    "beyond 64 bits": _raw(json.dumps([2**64]).encode()),
    "beyond 32 bits": encode_cursor([-(2**31) - 1]),
    "a float": encode_cursor([1.5]),
    "a boolean": encode_cursor([True]),
}
# Cursors a list may take if its keys happen to be text or days, and must refuse otherwise: never a 500.
TAMPERED_CURSORS = {
    "no zone": encode_cursor(["2025-06-01T08:00:00", "x"]),
    "year 9999 west of UTC": encode_cursor(["9999-12-31T23:59:59-01:00", "x"]),
    "year 1 east of UTC": encode_cursor(["0001-01-01T00:00:00+01:00", "x"]),
    "day 1": encode_cursor(["0001-01-01", "x"]),
    "day 9999": encode_cursor(["9999-12-31", "x"]),
    "int32 edge": encode_cursor([-(2**31)]),
    "a week": encode_cursor(["0001-W01"]),
    "text": encode_cursor(["x", "y"]),
}
# A list keyed by an instant must refuse these, whatever the second key.
INSTANT_TAMPERS = {"no zone", "year 9999 west of UTC", "year 1 east of UTC"}
EXTREMES = {
    "date": ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01"],
    "date-time": [
        "9999-12-31T23:59:59-01:00",
        "9999-12-31T23:59:59+14:00",
        "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00+01:00",
        "0001-01-01T00:00:00Z",
    ],
    "month": ["0001-01", "0000-01", "9999-12"],
    "week": ["0001-W01", "0000-W01", "9999-W52"],
}


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _alternatives(document: dict[str, Any], schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    schema = _resolve(document, schema)
    yield schema
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            yield from _alternatives(document, option)


def date_kind(document: dict[str, Any], schema: dict[str, Any]) -> str | None:
    """``date``, ``date-time``, ``month`` or ``week`` when the schema (or one of its alternatives) is one."""
    for option in _alternatives(document, schema):
        if option.get("format") in ("date", "date-time"):
            return str(option["format"])
        if option.get("pattern") == MONTH_PATTERN:
            return "month"
        if option.get("pattern") == WEEK_PATTERN:
            return "week"
    return None


def body_dates(document: dict[str, Any], schema: dict[str, Any], path: tuple[Any, ...] = ()) -> Iterator[Any]:
    """(path, kind) of every date field in a request body schema, arrays entered at their first item."""
    kind = date_kind(document, schema)
    if kind is not None and path:
        yield path, kind
        return
    if len(path) > 6:
        return
    for option in _alternatives(document, schema):
        for name, field in option.get("properties", {}).items():
            yield from body_dates(document, field, (*path, name))
        if option.get("type") == "array" and "items" in option:
            yield from body_dates(document, option["items"], (*path, 0))


def _nest(path: tuple[Any, ...], value: Any) -> Any:
    for part in reversed(path):
        value = [value] if isinstance(part, int) else {part: value}
    return value


def operations(app: FastAPI) -> Iterator[tuple[str, str, dict[str, Any]]]:
    document = app.openapi()
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


def _fill(path: str, seeds: dict[str, str]) -> str:
    for name in (part[1:-1] for part in path.split("/") if part.startswith("{")):
        assert name in seeds, f"{path}: seed a value for the path parameter {name} in tests/security/test_fuzz.py"
        path = path.replace(f"{{{name}}}", seeds[name])
    return path


def _problem(response: Any, statuses: range | tuple[int, ...]) -> str | None:
    """None when ``response`` is a problem+json answer with one of ``statuses``, else what is wrong."""
    if response.status_code not in statuses:
        return f"answered {response.status_code}: {response.text[:200]}"
    if response.headers.get("content-type") != PROBLEM_MEDIA_TYPE:
        return f"answered {response.status_code} as {response.headers.get('content-type')}"
    return None


def _first_key_kind(cursor: str) -> str:
    """What a list's real cursor starts with: an instant, a day, an integer or text."""
    value = decode_cursor(cursor)[0]
    if isinstance(value, int):
        return "integer"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return "text"
    if isinstance(parsed, datetime) and parsed.tzinfo is not None and "T" in value:
        return "instant"
    return "day" if len(value) == 10 else "text"


async def _cursor_failures(service: Service, method: str, path: str, url: str) -> list[str]:
    first = await service.client.get(url, params={"limit": 1}, headers=ADMIN)
    assert first.status_code == 200, f"{path}: {first.text}"
    real = first.json()["next_cursor"]
    assert real, f"{path}: seed two rows in tests/security/test_fuzz.py so the list has a second page"
    strict = INSTANT_TAMPERS if _first_key_kind(real) == "instant" else set()
    failures = []
    for label, cursor in {**REFUSED_CURSORS, **TAMPERED_CURSORS}.items():
        response = await service.client.get(url, params={"cursor": cursor}, headers=ADMIN)
        allowed = (400,) if label in REFUSED_CURSORS or label in strict else (200, 400)
        if response.status_code == 200 and 200 in allowed:
            continue
        problem = _problem(response, allowed)
        if problem is None and response.json()["type"] != "urn:handover:problem:invalid-cursor":
            problem = f"answered {response.json()['type']}"
        if problem:
            failures.append(f"{method} {path} cursor {label}: {problem}")
    return failures


async def _parameter_failures(
    service: Service, method: str, path: str, seeds: dict[str, str], parameter: dict[str, Any], kind: str
) -> list[str]:
    failures = []
    for value in EXTREMES[kind]:
        if parameter["in"] == "query":
            url = _fill(path, seeds)
            response = await service.client.request(method, url, params={parameter["name"]: value}, headers=ADMIN)
            problem = _problem(response, (422,))
        else:
            url = _fill(path, {**seeds, parameter["name"]: value})
            response = await service.client.request(method, url, headers=ADMIN)
            problem = _problem(response, range(400, 500))
        if problem:
            failures.append(f"{method} {path} {parameter['name']}={value}: {problem}")
    return failures


async def _field_failures(service: Service, method: str, path: str, url: str, field: Any, kind: str) -> list[str]:
    pointer = "#/body/" + "/".join(str(part) for part in field)
    failures = []
    for value in EXTREMES[kind]:
        response = await service.client.request(method, url, json=_nest(field, value), headers=ADMIN)
        problem = _problem(response, (422,))
        if problem is None and pointer not in [e["pointer"] for e in response.json().get("errors", [])]:
            problem = f"422 without an error at {pointer}: {response.text[:200]}"
        if problem:
            failures.append(f"{method} {path} {pointer}={value}: {problem}")
    return failures


async def _fuzz(service: Service, name: str, seeds: dict[str, str]) -> None:
    document = service.app.openapi()
    before = await service.counts(*TABLES[name])
    failures: list[str] = []
    lists = dates = 0
    for method, path, operation in operations(service.app):
        if not path.startswith("/v1/") or path == "/v1/inbox":
            continue
        url = _fill(path, seeds)
        parameters = operation.get("parameters", [])
        if method == "GET" and any(p["name"] == "cursor" for p in parameters):
            lists += 1
            failures += await _cursor_failures(service, method, path, url)
        for parameter in parameters:
            if (kind := date_kind(document, parameter["schema"])) is not None:
                dates += 1
                failures += await _parameter_failures(service, method, path, seeds, parameter, kind)
        content = operation.get("requestBody", {}).get("content", {}).get("application/json")
        for field, kind in body_dates(document, content["schema"]) if content else ():
            dates += 1
            failures += await _field_failures(service, method, path, url, field, kind)
    assert not failures, "\n".join(failures)
    assert await service.counts(*TABLES[name]) == before, "a refused request changed a table"
    assert lists and dates, f"found no lists or no dates in {name}'s OpenAPI document"


async def test_registry_refuses_hostile_cursors_and_extreme_days(registry: Service) -> None:
    client = registry.client
    developers = [(await client.post("/v1/developers", json=factories.developer(), headers=ADMIN)).json() for _ in "ab"]
    projects = [
        (await client.post("/v1/projects", json=factories.project(d["id"]), headers=ADMIN)).json() for d in developers
    ]
    project = projects[0]["id"]
    weeks = [week_of(clock.today() - timedelta(weeks=n)) for n in (3, 2)]
    disputes = []
    # Two of everything a project lists, so each list has a second page and a real cursor to learn from.
    for week in weeks:
        dispute = await client.post(
            f"/v1/projects/{project}/disputes", json={"kind": "petition", "opened_on": "2025-01-02"}, headers=ADMIN
        )
        assert dispute.status_code == 201, dispute.text
        disputes.append(dispute.json()["id"])
        report = await client.post(
            f"/v1/projects/{project}/progress-reports",
            json={"week": week, "progress_pct": "40.0", "working": True, "workers_on_site": 10},
            headers=ADMIN,
        )
        assert report.status_code == 201, report.text
        plan = await client.put(
            f"/v1/projects/{project}/plan",
            json={"disposal_path": "merger_acquisition", "measures": f"续建 {week}", "responsible_party": "住建局"},
            headers=ADMIN,
        )
        assert plan.status_code in (200, 201), plan.text
        task_force = await client.put(
            f"/v1/projects/{project}/task-force",
            json={"leader": {"name": f"李明{week}", "title": "副区长"}, "lead_unit": "区住建局"},
            headers=ADMIN,
        )
        assert task_force.status_code in (200, 201), task_force.text
    # Two approvals received long ago, so both lists of cases and the overdue board have a second page.
    approvals = []
    for _ in weeks:
        approval = await client.post(
            f"/v1/projects/{project}/approvals", json=factories.approval(received_on="2025-01-02"), headers=ADMIN
        )
        assert approval.status_code == 201, approval.text
        approvals.append(approval.json()["id"])
    # Two inspections with a finding each, long past their deadline, so the inspection and finding lists and the
    # overdue board have second pages.
    inspections, findings = [], []
    for _ in weeks:
        inspection = await client.post(
            f"/v1/projects/{project}/inspections",
            json={"kind": "routine", "inspected_on": "2025-01-02", "inspectors": ["王强"]},
            headers=ADMIN,
        )
        assert inspection.status_code == 201, inspection.text
        inspections.append(inspection.json()["id"])
        finding = await client.post(
            f"/v1/inspections/{inspections[-1]}/findings",
            json={
                "category": "safety",
                "severity": "major",
                "description": "临边防护缺失",
                "location": "3号楼",
                "responsible_party": "construction",
                "measure": "rectify",
                "deadline_working_days": 5,
            },
            headers=ADMIN,
        )
        assert finding.status_code == 201, finding.text
        findings.append(finding.json()["id"])
    # Two coordination items raised long ago, so their lists and the board's coordination rows have a second page.
    coordination_items = []
    for _ in weeks:
        item = await client.post(
            f"/v1/projects/{project}/coordination-items",
            json={
                "topic": "power",
                "description": "正式用电接入",
                "lead_department": "供电公司",
                "raised_on": "2025-01-02",
                "deadline_working_days": 10,
            },
            headers=ADMIN,
        )
        assert item.status_code == 201, item.text
        coordination_items.append(item.json()["id"])
    seeds = {"project_id": project, "developer_id": developers[0]["id"], "dispute_id": disputes[0], "version": "1"}
    seeds["approval_id"] = approvals[0]
    seeds["inspection_id"], seeds["finding_id"] = inspections[0], findings[0]
    seeds["coordination_item_id"] = coordination_items[0]
    await _fuzz(registry, "registry", {**seeds, "week": weeks[0], "year": str(clock.today().year)})


async def test_risk_refuses_hostile_cursors_and_extreme_days(start_risk: ServiceFactory, peers: Peers) -> None:
    project_id = str(uuid.uuid4())
    peers.facts.put(risk_facts_item(project_id))
    async with start_risk() as risk:
        for tier in ("red", "orange"):
            assessed = await risk.client.post("/v1/assessments", json={"project_ids": [project_id]}, headers=ADMIN)
            assert assessed.status_code == 200, assessed.text
            override = await risk.client.post(
                f"/v1/projects/{project_id}/override", json={"tier": tier, "reason": "专班研判"}, headers=ADMIN
            )
            assert override.status_code in (200, 201), override.text
        await _fuzz(risk, "risk", {"project_id": project_id})


async def test_financing_refuses_hostile_cursors_and_extreme_days(financing: Service, peers: Peers) -> None:
    banks = {code: await create_bank(financing, code) for code in ("FUZZ", "FUZZ-2")}
    bank = banks["FUZZ"]
    endpoints = []
    for path in ("a", "b"):
        endpoint = await financing.client.post(
            "/v1/webhook-endpoints",
            json={"url": f"http://127.0.0.1:9/{path}", "event_types": ["whitelist.entry_pushed"]},
            headers=bank,
        )
        assert endpoint.status_code == 201, endpoint.text
        endpoints.append(endpoint.json()["id"])
    decisions = []
    for _ in "ab":
        entry = await whitelist_entry(financing, known_project(peers), pushed_to("FUZZ"))
        decision = await financing.client.post(
            f"/v1/whitelist/{entry}/bank-decisions", json={"decision": "approve", "amount": "1000.00"}, headers=bank
        )
        assert decision.status_code == 201, decision.text
        decisions.append(decision.json())
    line = decisions[0]["credit_line_id"]
    disbursements = []
    for amount in ("10.00", "20.00"):
        disbursement = await financing.client.post(
            f"/v1/credit-lines/{line}/disbursements",
            json={"amount": amount, "disbursed_on": clock.today().isoformat(), "purpose": "工程款"},
            headers=bank,
        )
        assert disbursement.status_code == 201, disbursement.text
        disbursements.append(disbursement.json()["id"])
    funds = await _seed_funds(financing, known_project(peers))
    seeds = {
        **funds,
        "code": "FUZZ",
        "entry_id": decisions[0]["entry_id"],
        "decision_id": decisions[0]["id"],
        "line_id": line,
        "disbursement_id": disbursements[0],
        "endpoint_id": endpoints[0],
    }
    await _fuzz(financing, "financing", seeds)


async def _seed_funds(financing: Service, project_id: str) -> dict[str, str]:
    """Two policy fund programs, two allocations of the first, two payments of the first allocation: each list
    has a second page. The path seeds of the fund endpoints."""
    client, admin = financing.client, ADMIN
    programs = []
    for batch in "ab":
        program = await client.post("/v1/fund-programs", json=program_payload(name=f"模糊测试{batch}"), headers=admin)
        assert program.status_code == 201, program.text
        programs.append(program.json()["id"])
    allocations = []
    for _ in "ab":
        allocation = await client.post(
            f"/v1/fund-programs/{programs[0]}/allocations",
            json={"project_id": project_id, "amount": "1000.00"},
            headers=admin,
        )
        assert allocation.status_code == 201, allocation.text
        allocations.append(allocation.json()["id"])
    payments = []
    for _ in "ab":
        payment = await client.post(
            f"/v1/allocations/{allocations[0]}/payments", json=Funds.payment("10.00"), headers=admin
        )
        assert payment.status_code == 201, payment.text
        payments.append(payment.json()["id"])
    return {
        "program_id": programs[0],
        "allocation_id": allocations[0],
        "payment_id": payments[0],
        "year": str(clock.today().year),
    }


def test_the_discovery_finds_what_it_must() -> None:
    """The walker sees the known date fields, nested and optional ones included, so it cannot go blind."""
    from services.financing.app import create_financing_app
    from services.financing.settings import FinancingSettings
    from services.registry.app import create_registry_app
    from services.registry.settings import RegistrySettings

    registry = create_registry_app(RegistrySettings(database_url="sqlite+aiosqlite:///:memory:"))
    financing = create_financing_app(FinancingSettings(database_url="sqlite+aiosqlite:///:memory:"))
    found = set()
    for app in (registry, financing):
        document = app.openapi()
        for method, path, operation in operations(app):
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            for field, kind in body_dates(document, content["schema"]) if content else ():
                found.add((method, path, field, kind))
            for parameter in operation.get("parameters", []):
                if (kind := date_kind(document, parameter["schema"])) is not None:
                    found.add((method, path, parameter["name"], kind))
    assert {
        ("PUT", "/v1/projects/{project_id}/plan", ("milestones", 0, "planned_date"), "date"),
        ("POST", "/v1/projects", ("contract_delivery_date",), "date"),
        ("GET", "/v1/reports/monthly", "month", "month"),
        ("GET", "/v1/reports/weekly", "week", "week"),
        ("GET", "/v1/events", "since", "date-time"),
        ("POST", "/v1/webhook-endpoints/{endpoint_id}/recover", ("since",), "date-time"),
        ("GET", "/v1/reports/financing", "month", "month"),
    } <= found

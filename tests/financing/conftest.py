from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import sqlalchemy as sa

from services.common import clock
from services.financing.app import MIGRATIONS, create_financing_app
from services.financing.settings import FinancingSettings
from tests.support import processes
from tests.support.apps import auth, running
from tests.support.peers import ProjectsMock, mock_registry, registry_project
from tests.support.rows import Condition, Rows, Table

REGISTRY_URL = "http://registry.test"
DISTRICT = "990101"
OTHER_DISTRICT = "990102"
_codes = itertools.count(1)


class Financing:
    """A running financing app, its client, the registry it asks (mocked) and shortcuts for set-up."""

    def __init__(self, client: httpx.AsyncClient, url: str, app: Any, registry: ProjectsMock) -> None:
        self.client = client
        self.url = url
        self.app = app
        self.registry = registry
        self.admin = auth("city_admin")
        self.db = Rows(app.state.database.engine)

    async def bank(self, code: str | None = None) -> str:
        code = code or f"BANK-{next(_codes):04d}"
        response = await self.client.post("/v1/banks", json={"code": code, "name": f"{code} 银行"}, headers=self.admin)
        assert response.status_code == 201, response.text
        return code

    def project(self, **fields: Any) -> dict[str, Any]:
        """A project the (mocked) registry knows."""
        project = registry_project(**{"district": DISTRICT, **fields})
        self.registry.put(project)
        return project

    async def entry(self, project: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
        """A nominated entry."""
        project = project or self.project()
        payload = {"project_id": project["id"], "category": "normal", "requested_amount": "200000000.00", **fields}
        response = await self.client.post("/v1/whitelist", json=payload, headers=self.admin)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def step(
        self, entry_id: str, action: str, headers: dict[str, str] | None = None, **fields: Any
    ) -> httpx.Response:
        return await self.client.post(
            f"/v1/whitelist/{entry_id}/transitions", json={"action": action, **fields}, headers=headers or self.admin
        )

    async def pushed_entry(self, banks: Sequence[str], project: dict[str, Any] | None = None) -> dict[str, Any]:
        """An entry taken through pre-review and city approval, then pushed to ``banks``."""
        entry = await self.entry(project)
        for action, fields in (("prereview_pass", {}), ("city_approve", {}), ("push", {"banks": list(banks)})):
            response = await self.step(entry["id"], action, **fields)
            assert response.status_code == 200, response.text
        return dict(response.json())

    async def decide(self, entry_id: str, bank: str, **fields: Any) -> httpx.Response:
        return await self.client.post(
            f"/v1/whitelist/{entry_id}/bank-decisions", json=fields, headers=auth("bank", bank=bank)
        )

    async def credit_line(self, bank: str, amount: str = "1000000.00", **fields: Any) -> dict[str, Any]:
        """A credit line opened by ``bank``'s approval of a freshly pushed entry."""
        entry = await self.pushed_entry([bank], fields.pop("project", None))
        response = await self.decide(
            entry["id"], bank, decision="approve", amount=amount, approved_on="2025-01-02", **fields
        )
        assert response.status_code == 201, response.text
        line_id = response.json()["credit_line_id"]
        line = await self.client.get(f"/v1/credit-lines/{line_id}", headers=self.admin)
        return dict(line.json())

    async def disburse(
        self, line_id: str, bank: str, amount: str, key: str | None = None, **fields: Any
    ) -> httpx.Response:
        headers = auth("bank", bank=bank)
        if key is not None:
            headers["Idempotency-Key"] = key
        payload = {"amount": amount, "disbursed_on": clock.today().isoformat(), "purpose": "工程款", **fields}
        return await self.client.post(f"/v1/credit-lines/{line_id}/disbursements", json=payload, headers=headers)

    async def endpoint(self, bank: str, url: str, types: Sequence[str] | None = None, **fields: Any) -> dict[str, Any]:
        payload = {"url": url, "event_types": list(types or ["whitelist.entry_pushed"]), **fields}
        response = await self.client.post("/v1/webhook-endpoints", json=payload, headers=auth("bank", bank=bank))
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def deliver_until(self, predicate: Callable[[], Awaitable[bool]], rounds: int = 200) -> None:
        """Run the dispatcher until ``predicate`` holds."""
        for _ in range(rounds):
            await self.app.state.dispatcher.run_once()
            if await predicate():
                return
            await asyncio.sleep(0.03)
        raise AssertionError("deliveries did not settle")

    async def count(self, table: Table, *where: Condition) -> int:
        """Rows of a table (a model or a name) matching ``where``, read straight from the database."""
        return await self.db.count(table, *where)

    async def rows(self, sql: str | sa.Executable, **params: Any) -> list[Any]:
        return await self.db.all(sql, **params)

    async def execute(self, sql: str | sa.Executable, **params: Any) -> None:
        await self.db.execute(sql, **params)

    async def snapshot(self) -> dict[str, int]:
        """Row counts of every table a request could change."""
        return await self.db.counts(
            "banks",
            "whitelist_entries",
            "whitelist_pushes",
            "whitelist_transitions",
            "bank_decisions",
            "credit_lines",
            "disbursements",
            "idempotency_keys",
            "webhook_endpoints",
            "outbox_events",
            "outbox_deliveries",
            "event_audience",
        )


def tier_change(project_id: str, sequence: int, tier: str) -> dict[str, Any]:
    """The data of a ``project.risk_tier_changed`` as risk sends it."""
    return {
        "project_id": project_id,
        "sequence": sequence,
        "tier": tier,
        "previous_tier": "green",
        "probability": 0.41,
        "score": 612,
        "reason_codes": [{"code": "R_STALL_LONG", "zh": "停工时间长", "en": "Long stall"}],
        "model_version": "m1",
        "thresholds_version": "t1",
        "assessment_id": "a1",
        "override_id": None,
    }


@pytest.fixture
def registry_mock() -> Iterator[ProjectsMock]:
    """The registry's project reads under respx; every other request (receivers) passes through."""
    with respx.mock(assert_all_called=False) as router:
        mock = mock_registry(router, base_url=REGISTRY_URL, facts=True)
        router.route().pass_through()
        yield mock


@pytest.fixture
def financing_settings(database_factory: Callable[..., str]) -> Callable[..., FinancingSettings]:
    def make(**overrides: Any) -> FinancingSettings:
        values: dict[str, Any] = {
            "database_url": database_factory("financing", MIGRATIONS),
            "run_dispatcher": False,
            "subscribers": [],
            "registry_url": REGISTRY_URL,
            "dispatch_backoff_seconds": [0.05],
        }
        values.update(overrides)
        return FinancingSettings(**values)

    return make


FinancingFactory = Callable[..., Any]


@pytest.fixture
def financing_factory(
    financing_settings: Callable[..., FinancingSettings], registry_mock: ProjectsMock
) -> Callable[..., Any]:
    """``async with financing_factory(**settings) as f``: a running app with settings of the test's own."""

    @contextlib.asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Financing]:
        settings = financing_settings(**overrides)
        app = create_financing_app(settings)
        async with running(app) as client:
            yield Financing(client, settings.database_url, app, registry_mock)

    return start


@pytest.fixture
async def financing(financing_factory: Callable[..., Any]) -> AsyncIterator[Financing]:
    async with financing_factory() as running_app:
        yield running_app


class Receiver:
    """A real bank receiver process verifying every delivery with ``standardwebhooks``."""

    def __init__(self, process: processes.Process, log: Path) -> None:
        self.process = process
        self.log = log
        self.url = process.url + "/webhooks"

    def received(self) -> list[dict[str, Any]]:
        """What the receiver verified, from its JSON-lines log."""
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture
def start_receiver(tmp_path: Path) -> Iterator[Callable[..., Receiver]]:
    """``start_receiver(secrets, plan=[500, 500])``: a receiver answering ``plan`` first, then 200."""
    started: list[processes.Process] = []

    def start(secrets: Sequence[str], plan: Sequence[int] = ()) -> Receiver:
        port = processes.free_port()
        log = tmp_path / f"received-{port}.jsonl"
        args = [sys.executable, "-m", "services.examples.bank_receiver", "--port", str(port), "--log", str(log)]
        for secret in secrets:
            args += ["--secret", secret]
        if plan:
            args += ["--plan", ",".join(str(s) for s in plan)]
        process = processes.Process(
            args, dict(os.environ), tmp_path / f"receiver-{port}.log", f"http://127.0.0.1:{port}"
        )
        started.append(process.start(ready_path="/received"))
        return Receiver(process, log)

    yield start
    for process in started:
        process.stop()

"""Shortcuts for the policy-funds tests: programs, allocations and payments made through the API."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from services.common import clock
from tests.financing.conftest import DISTRICT, Financing
from tests.support import factories
from tests.support.apps import auth

_names = itertools.count(1)
PAYEE = {"name": "示范建工集团有限公司", "credit_code": factories.credit_code(2025)}
FUND_TABLES = (
    "fund_programs",
    "fund_targets",
    "fund_allocations",
    "fund_payments",
    "fund_payment_refusals",
    "audit_log",
    "idempotency_keys",
    "outbox_events",
    "outbox_deliveries",
    "event_audience",
)


def program_payload(**fields: Any) -> dict[str, Any]:
    """A program of this year granting 1,000,000.00 for construction, materials and current wages, granted a month
    ago with its cutover a year ago."""
    return {
        "name": f"保交楼专项借款第{next(_names)}批",
        "source": "special_loan",
        "year": clock.today().year,
        "granted_amount": "1000000.00",
        "granted_on": (clock.today() - timedelta(days=30)).isoformat(),
        "cutover_date": (clock.today() - timedelta(days=365)).isoformat(),
        "eligible_uses": ["construction", "materials", "current_wages"],
        **fields,
    }


class Funds:
    """The financing app seen from the policy funds: set-up in one call each, and row counts."""

    def __init__(self, financing: Financing) -> None:
        self.financing = financing
        self.client = financing.client
        self.admin = financing.admin

    async def program(self, **fields: Any) -> dict[str, Any]:
        response = await self.client.post("/v1/fund-programs", json=program_payload(**fields), headers=self.admin)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def allocate(
        self,
        program_id: str,
        amount: Any,
        project: dict[str, Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
        **fields: Any,
    ) -> httpx.Response:
        project = project or self.financing.project()
        return await self.client.post(
            f"/v1/fund-programs/{program_id}/allocations",
            json={"project_id": project["id"], "amount": amount, **fields},
            headers=headers or self.admin,
        )

    async def allocation(
        self, program_id: str, amount: str = "100000.00", project: dict[str, Any] | None = None, **fields: Any
    ) -> dict[str, Any]:
        response = await self.allocate(program_id, amount, project, **fields)
        assert response.status_code == 201, response.text
        return dict(response.json())

    @staticmethod
    def payment(amount: str = "1000.00", **fields: Any) -> dict[str, Any]:
        """A payment body that meets every rule of the default program."""
        today = clock.today().isoformat()
        return {
            "amount": amount,
            "paid_on": today,
            "use": "construction",
            "payee": PAYEE,
            "liability_incurred_on": today,
            "evidence": [{"kind": "invoice", "reference": "INV-0001"}, {"kind": "contract", "reference": "HT-01"}],
            **fields,
        }

    async def pay(
        self,
        allocation_id: str,
        amount: str = "1000.00",
        *,
        headers: dict[str, str] | None = None,
        key: str | None = None,
        **fields: Any,
    ) -> httpx.Response:
        headers = dict(headers or auth("district_officer", district=DISTRICT))
        if key is not None:
            headers["Idempotency-Key"] = key
        return await self.client.post(
            f"/v1/allocations/{allocation_id}/payments", json=self.payment(amount, **fields), headers=headers
        )

    async def reverse(
        self, payment_id: str, reason: str = "收款单位账户有误", *, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return await self.client.post(
            f"/v1/payments/{payment_id}/reversal", json={"reason": reason}, headers=headers or self.admin
        )

    async def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> httpx.Response:
        return await self.client.get(path, params=params, headers=headers or self.admin)

    async def events(self, event_type: str, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """The ``data`` of the events of ``event_type`` in the feed, oldest first."""
        page = await self.get("/v1/events", headers=headers, type=event_type, limit=500)
        assert page.status_code == 200, page.text
        return [event["data"] for event in page.json()["items"]]

    async def snapshot(self) -> dict[str, int]:
        """Row counts of every table a funds request could change."""
        return {table: await self.financing.count(table) for table in FUND_TABLES}

    async def refusals(self) -> list[str]:
        return [row.rule for row in await self.financing.rows("SELECT rule FROM fund_payment_refusals ORDER BY rule")]


@pytest.fixture
async def funds(financing: Financing) -> AsyncIterator[Funds]:
    yield Funds(financing)

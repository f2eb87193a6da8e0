"""The typed clients risk uses: registry's risk facts and financing's funding positions, and their mocks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
import respx

from services.common.clients import peer_client
from services.common.context import request_id_var
from services.common.db import new_id
from services.common.peers import PeerContractError, PeerUnavailable
from services.common.peers.financing import FinancingClient
from services.common.peers.registry import RegistryClient
from services.risk.settings import RiskSettings
from tests.support.peers import funding_position, mock_funding_positions, mock_risk_facts, risk_facts_item

REGISTRY = "http://registry.test"
FINANCING = "http://financing.test"


@pytest.fixture
async def clients() -> AsyncIterator[tuple[RegistryClient, FinancingClient]]:
    settings = RiskSettings(database_url="sqlite://", registry_url=REGISTRY, financing_url=FINANCING)
    registry = RegistryClient(peer_client(REGISTRY, settings))
    financing = FinancingClient(peer_client(FINANCING, settings))
    yield registry, financing
    await registry.aclose()
    await financing.aclose()


async def test_risk_facts_in_chunks_with_a_service_token(clients: tuple[RegistryClient, FinancingClient]) -> None:
    registry, _ = clients
    ids = [new_id() for _ in range(12_000)]
    with respx.mock() as router:
        mock = mock_risk_facts(router, [risk_facts_item(i, stall_days=3) for i in ids[:5]], base_url=REGISTRY)
        token = request_id_var.set("req-42")
        try:
            answer = await registry.query_risk_facts([*ids, new_id()])
        finally:
            request_id_var.reset(token)
        assert [len(r["project_ids"]) for r in mock.requests] == [5_000, 5_000, 2_001]
        sent = router.calls[0].request
        assert sent.headers["authorization"].startswith("Bearer ")
        assert sent.headers["x-request-id"] == "req-42"
    assert [item.project_id for item in answer.items] == ids[:5]
    assert answer.items[0].facts.stall_days == 3
    assert answer.items[0].facts.remaining_cost == Decimal("100000000.00")


async def test_all_risk_facts_in_one_call(clients: tuple[RegistryClient, FinancingClient]) -> None:
    registry, _ = clients
    with respx.mock() as router:
        mock = mock_risk_facts(router, [risk_facts_item(new_id()) for _ in range(3)], base_url=REGISTRY)
        answer = await registry.query_risk_facts(None)
    assert mock.requests == [{"all": True}]
    assert len(answer.items) == 3


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (httpx.ConnectError("refused"), PeerUnavailable),
        (httpx.ReadTimeout("slow"), PeerUnavailable),
        (httpx.Response(503), PeerUnavailable),
        (httpx.Response(500, json={}), PeerUnavailable),
        (httpx.Response(403, json={"status": 403}), PeerContractError),
        (httpx.Response(200, json={"items": [{"project_id": 1}]}), PeerContractError),
        (httpx.Response(200, content=b"<html>"), PeerContractError),
    ],
    ids=["refused", "timeout", "503", "500", "403", "shape", "not-json"],
)
async def test_peer_failures_are_typed(
    clients: tuple[RegistryClient, FinancingClient], answer: object, error: type[Exception]
) -> None:
    registry, financing = clients
    with respx.mock() as router:
        router.post(f"{REGISTRY}/v1/risk-facts/query").mock(side_effect=[answer])
        router.post(f"{FINANCING}/v1/funding-positions/query").mock(side_effect=[answer])
        with pytest.raises(error):
            await registry.query_risk_facts([new_id()])
        with pytest.raises(error):
            await financing.query_funding_positions([new_id()])


async def test_funding_positions_by_project(clients: tuple[RegistryClient, FinancingClient]) -> None:
    _, financing = clients
    funded, unfunded = new_id(), new_id()
    with respx.mock() as router:
        mock = mock_funding_positions(router, [funding_position(funded, "25000000.00")], base_url=FINANCING)
        answer = await financing.query_funding_positions([funded, unfunded])
        mock.unavailable = True
        with pytest.raises(PeerUnavailable):
            await financing.query_funding_positions([funded])
    assert list(answer.positions) == [funded]
    assert answer.positions[funded].undrawn_amount == Decimal("25000000.00")
    assert answer.unreadable == set()
    assert (await financing.query_funding_positions([])).positions == {}

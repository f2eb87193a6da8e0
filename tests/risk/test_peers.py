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


async def test_scoring_facts_read_as_the_full_facts_do(clients: tuple[RegistryClient, FinancingClient]) -> None:
    registry, _ = clients
    ids = [new_id() for _ in range(3)]
    items = [
        risk_facts_item(ids[0], stall_days=3, progress_lag_pct="12.5", remaining_cost="7.5"),
        risk_facts_item(ids[1], own_funds_available=" 120.10 ", extra_field="ignored"),
        {**risk_facts_item(ids[2]), "outcome": {"kind": "delivered", "delivered_on": "2026-11-01"}},
    ]
    with respx.mock() as router:
        mock = mock_risk_facts(router, items, base_url=REGISTRY)
        full = await registry.query_risk_facts([*ids, new_id()], chunk_size=2)
        lean = await registry.query_scoring_facts([*ids, new_id()], chunk_size=2)
        assert [len(r["project_ids"]) for r in mock.requests] == [2, 2, 2, 2]
        assert (await registry.query_scoring_facts(None)).as_of == full.as_of
    assert lean.as_of == full.as_of
    for a, b in zip(full.items, lean.items, strict=True):
        assert (a.project_id, a.district, a.status, a.contract_delivery_date) == (
            b.project_id,
            b.district,
            b.status,
            b.contract_delivery_date,
        )
        fields = type(b.facts).__struct_fields__
        assert {f: getattr(a.facts, f) for f in fields} == {f: getattr(b.facts, f) for f in fields}
    assert lean.items[0].facts.remaining_cost == Decimal("7.50")
    assert (await registry.query_scoring_facts([])).items == []


@pytest.mark.parametrize(
    "broken",
    [
        {"stall_days": -1},
        {"disputes_90d": 2.5},
        {"progress_lag_pct": "-0.5"},
        {"progress_lag_pct": "NaN"},
        {"remaining_cost": 100},
        {"remaining_cost": "1.005"},
        {"own_funds_available": "-3.00"},
        {"own_funds_available": "１２.00"},
    ],
    ids=lambda broken: "-".join(f"{k}={v}" for k, v in broken.items()),
)
async def test_scoring_facts_refuse_what_the_full_facts_refuse(
    clients: tuple[RegistryClient, FinancingClient], broken: dict[str, object]
) -> None:
    registry, _ = clients
    project_id = new_id()
    with respx.mock() as router:
        mock_risk_facts(router, [risk_facts_item(project_id, **broken)], base_url=REGISTRY)
        with pytest.raises(PeerContractError):
            await registry.query_risk_facts([project_id])
        with pytest.raises(PeerContractError):
            await registry.query_scoring_facts([project_id])


@pytest.mark.parametrize(
    "item",
    [
        {"sold_units": -1},
        {"code": None},
        {"contract_delivery_date": "soon"},
        {"facts": {**risk_facts_item("p")["facts"], "disputes_90d": "2"}},
        {"facts": {**risk_facts_item("p")["facts"], "progress_lag_pct": 1.50}},
        {"facts": {**risk_facts_item("p")["facts"], "progress_lag_pct": "1e400"}},
    ],
    ids=["sold-units", "code", "date", "count-as-text", "lag-as-number", "lag-exponent"],
)
async def test_scoring_facts_check_every_field_and_counts_strictly(
    clients: tuple[RegistryClient, FinancingClient], item: dict[str, object]
) -> None:
    registry, _ = clients
    project_id = new_id()
    with respx.mock() as router:
        mock_risk_facts(router, [{**risk_facts_item(project_id), **item}], base_url=REGISTRY)
        if "facts" not in item:
            with pytest.raises(PeerContractError):
                await registry.query_risk_facts([project_id])
        # Stricter than the pydantic models in one way only: a count must be a JSON number ("2" passed there),
        # the lag plain digits in a string (1.50 passed there, read through a float as 1.5).
        with pytest.raises(PeerContractError):
            await registry.query_scoring_facts([project_id])


@pytest.mark.parametrize(
    "answer",
    [httpx.Response(200, json={"items": [{"project_id": 1}]}), httpx.Response(200, content=b"<html>")],
    ids=["shape", "not-json"],
)
async def test_scoring_facts_of_another_shape_are_refused(
    clients: tuple[RegistryClient, FinancingClient], answer: httpx.Response
) -> None:
    registry, _ = clients
    with respx.mock() as router:
        router.post(f"{REGISTRY}/v1/risk-facts/query").mock(side_effect=[answer])
        with pytest.raises(PeerContractError):
            await registry.query_scoring_facts([new_id()])

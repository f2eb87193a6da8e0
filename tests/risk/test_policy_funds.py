"""Unspent policy-fund allocations close the funding gap as undrawn credit does."""

from __future__ import annotations

from tests.risk.conftest import Risk
from tests.support.peers import funding_position


async def test_unspent_allocations_close_the_gap(risk: Risk) -> None:
    facts = {"remaining_cost": "100000000.00", "own_funds_available": "30000000.00"}
    allocated = risk.peers.project(undrawn=None, **facts)
    risk.peers.financing.put(funding_position(allocated, "20000000.00", "30000000.00"))
    older_financing = risk.peers.project(undrawn=None, **facts)
    without_field = funding_position(older_financing, "20000000.00")
    del without_field["unspent_allocations"]
    risk.peers.financing.put(without_field)
    await risk.assess(allocated, older_financing)

    [stored] = await risk.history(allocated)
    # 100m remaining - 30m own funds - 20m undrawn - 30m unspent allocations
    assert stored["features"]["funding_gap_amount"] == "20000000.00"
    assert stored["features"]["funding_gap_ratio"] == 0.2
    assert (stored["facts"]["undrawn_amount"], stored["facts"]["unspent_allocations"]) == (
        "20000000.00",
        "30000000.00",
    )
    [older] = await risk.history(older_financing)
    assert older["features"]["funding_gap_amount"] == "50000000.00"
    assert older["facts"]["unspent_allocations"] == "0.00"

"""The bulk write path (COPY, UPDATE FROM unnest, set-based outbox rows on PostgreSQL, chunks written two at a
time) leaves exactly what the plain executemany path, one chunk after another, leaves: the same assessments,
state rows, events and deliveries."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa

from services.common import bulk
from services.common.outbox import DeliveryStatus
from services.risk.models import OUTBOX, Assessment, ProjectRiskState
from tests.risk.conftest import Risk

# Enough projects per chunk for every bulk statement (COPY starts at bulk.COPY_MIN_ROWS rows).
PROJECTS = 150
VOLATILE = {"id", "assessment_id", "created_at", "project_id"}


def _facts(i: int) -> dict[str, Any]:
    return {"stall_days": (i * 37) % 400, "disputes_30d": i % 4, "overdue_days": (i * 11) % 250}


async def _portfolio(risk: Risk) -> list[str]:
    return [risk.peers.project(undrawn=f"{i * 100_000}.00", **_facts(i)) for i in range(PROJECTS)]


async def _assess(risk: Risk, ids: list[str]) -> dict[str, Any]:
    response = await risk.client.post("/v1/assessments", json={"project_ids": ids}, headers=risk.admin)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _stable(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if k not in VOLATILE}


async def _snapshot(risk: Risk, ids: list[str]) -> list[dict[str, Any]]:
    """What a user or a peer sees of each project, without the ids and times drawn afresh for each."""
    deliveries = OUTBOX.deliveries
    states = ProjectRiskState.__table__
    snapshot = []
    for project_id in ids:
        history = [_stable(a) for a in await risk.history(project_id)]
        events = [{**e, "data": _stable(e["data"]), "timestamp": None} for e in await risk.events(project_id)]
        statement = (
            sa.select(deliveries)
            .join(OUTBOX.events, OUTBOX.events.c.id == deliveries.c.event_id)
            .where(OUTBOX.events.c.project_id == project_id)
            .order_by(deliveries.c.url)
        )
        sent = [
            {
                "url": d.url,
                "endpoint_id": d.endpoint_id,
                "status": d.status,
                "attempts": d.attempts,
                "due_at_creation": d.next_attempt_at == d.created_at == d.updated_at,
                "lease_until": d.lease_until,
                "last_status_code": d.last_status_code,
            }
            for d in await risk.rows(statement)
        ]
        [state] = await risk.rows(sa.select(states).where(states.c.project_id == project_id))
        drawn = {"project_id", "last_assessment_id", "updated_at"}
        state_view = {k: v for k, v in state._mapping.items() if k not in drawn}
        [newest, *_] = await risk.history(project_id)
        state_view["last_is_newest"] = state.last_assessment_id == newest["id"]
        state_view["updated_with_newest"] = state.updated_at.isoformat().replace("+00:00", "Z") == newest["created_at"]
        snapshot.append({"history": history, "events": events, "deliveries": sent, "state": state_view})
    return snapshot


# Chunks of the bulk runs: several of them, written overlapped on PostgreSQL, each still large enough for COPY.
CHUNK = 40


def _plain_path(monkeypatch: pytest.MonkeyPatch, risk: Risk) -> None:
    """Take the executemany path on every backend, the chunks written one after another."""
    monkeypatch.setattr(bulk, "is_postgresql", lambda session: False)
    monkeypatch.setattr(risk.app.state.assessor, "writers", 1)


def _chunked(monkeypatch: pytest.MonkeyPatch, risk: Risk) -> None:
    monkeypatch.setattr(risk.app.state.assessor, "chunk_size", CHUNK)
    monkeypatch.setattr(bulk, "COPY_MIN_ROWS", CHUNK // 4)


async def test_bulk_and_plain_writes_leave_the_same_rows(risk: Risk, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, plain = await _portfolio(risk), await _portfolio(risk)
    with monkeypatch.context() as patch:
        _chunked(patch, risk)
        first_fast = await _assess(risk, fast)
    with monkeypatch.context() as patch:
        _plain_path(patch, risk)
        first_plain = await _assess(risk, plain)
    assert first_fast["tier_changes"] == first_plain["tier_changes"] > 0
    for i in range(0, PROJECTS, 3):
        # A change of facts between the runs: some tiers rise, some start to fall, some hold.
        risk.peers.set_facts(fast[i], stall_days=500 - i)
        risk.peers.set_facts(plain[i], stall_days=500 - i)
    with monkeypatch.context() as patch:
        _chunked(patch, risk)
        second_fast = await _assess(risk, fast)
    with monkeypatch.context() as patch:
        _plain_path(patch, risk)
        second_plain = await _assess(risk, plain)
    assert [_stable(i) for i in second_fast["items"]] == [_stable(i) for i in second_plain["items"]]
    assert await _snapshot(risk, fast) == await _snapshot(risk, plain)

    [sample] = (await _snapshot(risk, fast[:1]))[0]["history"][:1]
    assert sample["number"] == 2
    deliveries = await risk.rows(sa.select(OUTBOX.deliveries.c.status, OUTBOX.deliveries.c.id))
    assert {d.status for d in deliveries} == {DeliveryStatus.pending.value}
    assert len({d.id for d in deliveries}) == len(deliveries) == 2 * len(await risk.events())


async def test_event_sequences_count_on_per_project_in_bulk(risk: Risk) -> None:
    ids = await _portfolio(risk)
    await _assess(risk, ids)
    for project_id in ids:
        risk.peers.set_facts(project_id, stall_days=900, disputes_30d=5, overdue_days=400)
    second = await _assess(risk, ids)
    changed = {item["project_id"] for item in second["items"] if item["tier"] != item["previous_tier"]}
    assert changed
    for project_id in changed:
        assert [e["data"]["sequence"] for e in await risk.events(project_id)] == [1, 2]


async def test_concurrent_first_assessments_queue_on_the_new_state_rows(
    risk: Risk, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await _portfolio(risk)
    _chunked(monkeypatch, risk)
    first, second = await asyncio.gather(_assess(risk, ids), _assess(risk, ids))
    assert first["assessed"] == second["assessed"] == PROJECTS
    numbers = await risk.rows(sa.select(Assessment.project_id, Assessment.number))
    assert sorted(n.number for n in numbers if n.project_id == ids[0]) == [1, 2]
    assert len(numbers) == 2 * PROJECTS
    states = await risk.rows(sa.select(ProjectRiskState.assessments))
    assert {s.assessments for s in states} == {2}
    assert {e["data"]["sequence"] for e in await risk.events(ids[0])} == {1}

"""``python -m services.risk.train_from_registry``: labels from the registry over HTTP, features from risk's own
assessments made before each outcome; too few labels and it refuses, writing nothing."""

from __future__ import annotations

import asyncio
import random
from datetime import date, timedelta
from pathlib import Path

import orjson
import pytest

from services.common import clock
from services.common.peers.registry import RiskFactsItem
from services.risk.model import load_model
from services.risk.train_from_registry import main, snapshots_before_outcomes
from tests.risk.conftest import REGISTRY_URL, Risk


@pytest.fixture
def environment(risk: Risk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RISK_DATABASE_URL", risk.settings.database_url)
    monkeypatch.setenv("HANDOVER_REGISTRY_URL", REGISTRY_URL)


async def _assessed_with_outcomes(risk: Risk, n: int) -> None:
    rng = random.Random(11)
    ids = []
    for _ in range(n):
        stall = rng.choice([0, 0, 0, 30, 90, 200, 300])
        ids.append(
            risk.peers.project(
                stall_days=stall,
                disputes_30d=rng.randint(0, 3),
                own_funds_available="0.00",
                undrawn=f"{rng.randint(0, 100)}000000.00",
            )
        )
    await risk.assess(*ids)
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    for project_id in ids:
        item = risk.peers.registry.items[project_id]
        failed = item["facts"]["stall_days"] >= 90 or rng.random() < 0.1
        item["outcome"] = (
            {"kind": "terminated", "delivered_on": None}
            if failed
            else {"kind": "delivered_on_time", "delivered_on": tomorrow}
        )


async def test_too_few_labels_are_refused(
    risk: Risk, environment: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await _assessed_with_outcomes(risk, 12)
    out = tmp_path / "artifacts"
    status = await asyncio.to_thread(main, ["--out", str(out)])
    assert status == 2
    assert "not trained: training from outcomes needs at least 200 labelled projects" in capsys.readouterr().err
    assert not out.exists()
    assert risk.peers.registry.requests[-1] == {"all": True, "with_outcomes": True}


async def test_trains_on_assessment_snapshots_and_recorded_outcomes(
    risk: Risk, environment: None, tmp_path: Path
) -> None:
    await _assessed_with_outcomes(risk, 260)
    status = await asyncio.to_thread(main, ["--out", str(tmp_path), "--min-labels", "200"])
    assert status == 0
    model = load_model(tmp_path / "risk-model.skops")
    card = orjson.loads((tmp_path / "model_card.json").read_bytes())
    assert card["version"] == model.version
    assert card["training_data"]["source"] == "registry"
    assert card["training_data"]["with_assessment_snapshot"] == 260
    assert card["training_data"]["labelled_used"] == 260


async def test_an_unreachable_registry_trains_nothing(
    risk: Risk, environment: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    risk.peers.registry.unavailable = True
    assert await asyncio.to_thread(main, ["--out", str(tmp_path)]) == 1
    assert "registry is unavailable" in capsys.readouterr().err


async def test_features_come_from_the_last_assessment_made_before_the_outcome(risk: Risk, today: date) -> None:
    delivered = risk.peers.project(undrawn="0.00")
    terminated = risk.peers.project(undrawn="0.00")
    # Three assessments, the last on the day of delivery: that one already knows the answer.
    for days_before, stall in ((20, 30), (10, 40), (0, 0)):
        risk.peers.registry.as_of = today - timedelta(days=days_before)
        for project_id in (delivered, terminated):
            risk.peers.set_facts(project_id, stall_days=stall)
        await risk.assess(delivered, terminated)
    outcomes = {
        delivered: {"kind": "delivered_late", "delivered_on": today.isoformat()},
        terminated: {"kind": "terminated", "delivered_on": None},
    }
    items = [
        RiskFactsItem.model_validate({**risk.peers.registry.items[project_id], "outcome": outcome})
        for project_id, outcome in outcomes.items()
    ]
    chosen = await snapshots_before_outcomes(risk.settings.database_url, items)
    assert chosen[delivered]["stall_days"] == 40
    # A termination has no day: the latest assessment is the one before it.
    assert chosen[terminated]["stall_days"] == 0

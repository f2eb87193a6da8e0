"""``GET /v1/model``, readiness until the model is loaded, the tier configuration, and the compiled tier policy."""

from __future__ import annotations

import hashlib
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.risk.app import MIGRATIONS, create_risk_app
from services.risk.model import DEFAULT_THRESHOLDS, PolicyRule, Thresholds, decide_tier
from services.risk.model.artifact import DEFAULT_ARTIFACT
from services.risk.scoring.engine import TierPolicy
from services.risk.settings import RiskSettings
from tests.risk import factories
from tests.risk.conftest import settings_for
from tests.support import databases
from tests.support.apps import auth, running


async def test_model_card_is_served(scoring: httpx.AsyncClient) -> None:
    response = await scoring.get("/v1/model", headers=auth("viewer"))
    assert response.status_code == 200
    body = response.json()
    card = orjson.loads(DEFAULT_ARTIFACT.with_name("model_card.json").read_bytes())
    assert body["version"] == card["version"]
    assert body["artifact"]["sha256"] == hashlib.sha256(DEFAULT_ARTIFACT.read_bytes()).hexdigest()
    assert body["training_data"]["source"] == "synthetic"
    assert {"auc", "brier", "reliability"} <= set(body["metrics"])
    assert [f["name"] for f in body["features"]] == list(factories.features())
    assert body["thresholds"]["version"] == DEFAULT_THRESHOLDS.version
    assert body["thresholds"]["rationale"]
    assert [r["code"] for r in body["policy_rules"]] == [r.code for r in DEFAULT_THRESHOLDS.rules]
    assert body["fall_after"] == 3


async def test_not_ready_and_no_scoring_until_the_model_loads(tmp_path: Path) -> None:
    broken = tmp_path / "risk-model.skops"
    broken.write_bytes(b"not a skops file")
    shutil.copy(DEFAULT_ARTIFACT.with_name("model_card.json"), tmp_path / "model_card.json")
    url = databases.sqlite_database("risk", MIGRATIONS, tmp_path)
    app = create_risk_app(settings_for(url, model_path=broken))
    async with running(app) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.headers["content-type"] == "application/health+json"
        check = ready.json()["checks"]["model:loaded"][0]
        assert check["status"] == "fail" and "sha256" in check["output"]
        assert (await client.get("/livez")).status_code == 200
        score = await client.post("/v1/score", json={"features": factories.features()}, headers=auth("viewer"))
        assert score.status_code == 503
        assert score.headers["content-type"] == "application/problem+json"
        assert (await client.get("/v1/model", headers=auth("viewer"))).status_code == 503


async def test_a_missing_model_file_is_not_ready(tmp_path: Path) -> None:
    url = databases.sqlite_database("risk", MIGRATIONS, tmp_path)
    app = create_risk_app(settings_for(url, model_path=tmp_path / "absent.skops"))
    async with running(app) as client:
        assert (await client.get("/readyz")).status_code == 503


async def test_thresholds_and_rules_come_from_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RISK_THRESHOLDS", '{"version": "2026-01.1", "red": 0.9, "orange": 0.8, "yellow": 0.7}')
    monkeypatch.setenv(
        "RISK_POLICY_RULES",
        orjson.dumps(
            [
                {
                    "code": "P_DISPUTES",
                    "feature": "disputes_30d",
                    "op": ">=",
                    "value": "2",
                    "min_tier": "yellow",
                    "zh": "近 30 天纠纷两件以上",
                    "en": "Two disputes in 30 days",
                }
            ]
        ).decode(),
    )
    url = databases.sqlite_database("risk", MIGRATIONS, tmp_path)
    settings = settings_for(url)
    assert settings.tier_config.version.startswith("2026-01.1+rules.")
    async with running(create_risk_app(settings)) as client:
        body = (
            await client.post("/v1/score", json={"features": factories.quiet(disputes_30d=2)}, headers=auth("viewer"))
        ).json()
        assert body["thresholds_version"] == settings.tier_config.version
        assert (body["tier"], body["rules_fired"]) == ("yellow", ["P_DISPUTES"])
        model = (await client.get("/v1/model", headers=auth("viewer"))).json()
        assert model["thresholds"]["red"] == 0.9
        assert [r["code"] for r in model["policy_rules"]] == ["P_DISPUTES"]


def test_default_subscribers_are_the_peers_inboxes() -> None:
    settings = RiskSettings(database_url="sqlite+aiosqlite:///:memory:")
    assert [(s.url, s.types) for s in settings.subscribers] == [
        ("http://127.0.0.1:8001/v1/inbox", ["project.risk_tier_changed"]),
        ("http://127.0.0.1:8003/v1/inbox", ["project.risk_tier_changed"]),
    ]
    assert settings.port == 8002
    assert settings.tier_config == DEFAULT_THRESHOLDS


_rule = st.builds(
    PolicyRule,
    code=st.sampled_from(["P_A", "P_B", "P_C"]),
    feature=st.sampled_from(list(factories.features())),
    op=st.sampled_from([">=", ">"]),
    value=st.one_of(st.integers(0, 400).map(Decimal), st.decimals(0, 2, places=2)),
    min_tier=st.sampled_from(["green", "yellow", "orange", "red"]),
    zh=st.just("规则"),
    en=st.just("rule"),
)
_values = st.fixed_dictionaries(
    {
        "stall_days": st.integers(0, 400),
        "progress_lag_pct": st.floats(0, 100),
        "funding_gap_amount": st.one_of(st.none(), st.decimals(0, 10**6, places=2)),
        "funding_gap_ratio": st.one_of(st.none(), st.floats(0, 1), st.decimals(0, 1, places=4)),
        "disputes_30d": st.integers(0, 5),
        "disputes_90d": st.integers(0, 5),
        "group_incidents_90d": st.integers(0, 3),
        "overdue_days": st.integers(0, 500),
    }
)


@settings(max_examples=400, deadline=None)
@given(
    rules=st.lists(_rule, max_size=3, unique_by=lambda r: r.code),
    values=_values,
    probability=st.floats(0, 1),
)
def test_the_compiled_policy_decides_as_decide_tier(
    rules: list[PolicyRule], values: dict[str, Any], probability: float
) -> None:
    thresholds = Thresholds(version="t", red=0.6, orange=0.3, yellow=0.1, rules=tuple(rules))
    expected = decide_tier(probability, values, thresholds)
    assert TierPolicy(thresholds).decide(probability, values) == (expected.tier, expected.rules_fired)

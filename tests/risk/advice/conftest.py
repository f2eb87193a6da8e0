"""The served model, as the advice uses it, built once."""

from __future__ import annotations

import pytest

from services.risk.model import DEFAULT_THRESHOLDS, load_model
from services.risk.scoring.engine import ScoringEngine


@pytest.fixture(scope="session")
def engine() -> ScoringEngine:
    return ScoringEngine(load_model(), DEFAULT_THRESHOLDS)

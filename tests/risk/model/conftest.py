"""Shared fixtures of the risk model tests: the shipped model and a same-seed retrain (each built once)."""

from __future__ import annotations

import pytest

from services.risk.model import RiskModel, load_model
from services.risk.model.scorecard import TrainedModel
from services.risk.model.train import train_synthetic


@pytest.fixture(scope="session")
def shipped_model() -> RiskModel:
    """The committed artifact, loaded and verified (session scope, so hypothesis tests may use it)."""
    return load_model()


@pytest.fixture(scope="session")
def retrained() -> TrainedModel:
    """A fresh training run with the shipped seed and size, as `make train` does."""
    return train_synthetic()

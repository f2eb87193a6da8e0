from __future__ import annotations

import ast
import json
import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression
from skops.io.exceptions import UntrustedTypesFoundException

import services.risk.model as model_package
from services.risk.model import ArtifactError, ArtifactIntegrityError, RiskModel, load_model
from services.risk.model.artifact import (
    ARTIFACT_FILE,
    CARD_JSON,
    CARD_MD,
    DEFAULT_ARTIFACT,
    DEFAULT_ARTIFACT_DIR,
    TRUSTED_TYPES,
    sha256_hex,
)


@pytest.fixture
def artifact_copy(tmp_path: Path) -> Path:
    for name in (ARTIFACT_FILE, CARD_JSON):
        shutil.copy(DEFAULT_ARTIFACT_DIR / name, tmp_path / name)
    return tmp_path


def test_the_shipped_artifact_is_small_and_described_by_its_card(shipped_model: RiskModel):
    data = DEFAULT_ARTIFACT.read_bytes()
    assert len(data) < 1_000_000
    card = json.loads((DEFAULT_ARTIFACT_DIR / CARD_JSON).read_text(encoding="utf-8"))
    assert card["artifact"]["sha256"] == sha256_hex(data)
    assert card["version"] == shipped_model.version
    assert card["training_data"]["source"] == "synthetic"
    assert card["training_data"]["seed"] == 20251125
    for key in ("intended_use", "out_of_scope", "features", "thresholds", "method", "unknown_funding"):
        assert card[key]
    metrics = card["metrics"]
    assert len(metrics["reliability"]) == 10
    assert 0.5 < metrics["auc"] <= 1 and 0 <= metrics["brier"] < 0.25
    assert (DEFAULT_ARTIFACT_DIR / CARD_MD).read_text(encoding="utf-8").count(card["artifact"]["sha256"]) == 1


def test_the_artifact_holds_only_types_skops_trusts_by_default():
    assert TRUSTED_TYPES == []
    assert sio.get_untrusted_types(file=DEFAULT_ARTIFACT) == []


def test_load_refuses_an_artifact_whose_sha256_differs_from_the_card(artifact_copy: Path):
    path = artifact_copy / ARTIFACT_FILE
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactIntegrityError, match="refusing to load"):
        load_model(path)


def test_load_refuses_a_card_that_records_another_sha256(artifact_copy: Path):
    card_path = artifact_copy / CARD_JSON
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["artifact"]["sha256"] = "0" * 64
    card_path.write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ArtifactIntegrityError):
        load_model(artifact_copy / ARTIFACT_FILE)


def _replace_artifact(directory: Path, data: bytes) -> Path:
    (directory / ARTIFACT_FILE).write_bytes(data)
    card_path = directory / CARD_JSON
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["artifact"]["sha256"] = sha256_hex(data)
    card_path.write_text(json.dumps(card), encoding="utf-8")
    return directory / ARTIFACT_FILE


@pytest.mark.parametrize(
    "payload",
    [
        {"model": LogisticRegression()},  # trusted by skops' defaults, still not plain data
        {"edges": np.arange(3)},
        {"f": Fraction(1, 3)},
    ],
    ids=["estimator", "numpy", "fraction"],
)
def test_load_refuses_anything_but_builtins_even_with_a_matching_card(artifact_copy: Path, payload):
    path = _replace_artifact(artifact_copy, sio.dumps(payload))
    with pytest.raises(ArtifactError, match="only"):
        load_model(path)


def test_skops_itself_refuses_types_outside_its_defaults():
    with pytest.raises(UntrustedTypesFoundException):
        sio.loads(sio.dumps({"f": Fraction(1, 3)}), trusted=TRUSTED_TYPES)


def test_load_refuses_a_missing_card(artifact_copy: Path):
    (artifact_copy / CARD_JSON).unlink()
    with pytest.raises(ArtifactError):
        load_model(artifact_copy / ARTIFACT_FILE)


def test_nothing_in_the_model_package_imports_pickle_or_joblib():
    forbidden = {"pickle", "joblib", "dill", "cloudpickle", "marshal"}
    for path in Path(model_package.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                names = {(node.module or "").split(".")[0]}
            else:
                continue
            assert not names & forbidden, f"{path.name} imports {names & forbidden}"

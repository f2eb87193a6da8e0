from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.risk.model import load_model
from services.risk.model.artifact import ARTIFACT_FILE, CARD_JSON, CARD_MD
from services.risk.model.synthetic import generate
from services.risk.model.train import (
    InsufficientLabels,
    main,
    reliability_table,
    train_from_outcomes,
    write_artifacts,
)


def _records(n: int, seed: int = 1) -> list[dict]:
    return generate(n, seed).records()


def test_too_few_labels_are_refused_with_a_clear_message():
    with pytest.raises(InsufficientLabels, match=r"at least 200 labelled projects.*got 150"):
        train_from_outcomes(_records(150))


def test_a_single_outcome_is_refused():
    records = [{**r, "label": 0} for r in _records(400)]
    with pytest.raises(InsufficientLabels, match="of each outcome"):
        train_from_outcomes(records)


def test_records_with_unknown_funding_do_not_count():
    records = _records(260)
    for record in records[:100]:
        record["funding_gap_amount"] = record["funding_gap_ratio"] = None
    with pytest.raises(InsufficientLabels, match="100 more left out for unknown funding"):
        train_from_outcomes(records)


def test_bad_records_are_refused():
    records = _records(300)
    records[5]["label"] = 2
    with pytest.raises(ValueError, match="record 5"):
        train_from_outcomes(records)
    records = _records(300)
    del records[7]["stall_days"]
    with pytest.raises(ValueError):
        train_from_outcomes(records)


def test_training_from_outcomes_records_its_data_in_the_card(tmp_path: Path):
    records = _records(3000, seed=9)
    for record in records[:50]:
        record["funding_gap_amount"] = record["funding_gap_ratio"] = None
    trained = train_from_outcomes(records, provenance={"registry_url": "http://registry:8001"})
    card = write_artifacts(trained, tmp_path)
    data = card["training_data"]
    assert data["source"] == "registry" and data["registry_url"] == "http://registry:8001"
    assert data["labelled_used"] == 2950 and data["left_out_unknown_funding"] == 50
    assert data["n_train"] + data["n_holdout"] == 2950
    model = load_model(tmp_path / ARTIFACT_FILE)
    assert model.version.startswith("sc1-reg-")
    assert "Training data" in (tmp_path / CARD_MD).read_text(encoding="utf-8")


def test_the_synthetic_command_writes_a_loadable_artifact_and_card(tmp_path: Path, capsys):
    assert main(["--synthetic", "--seed", "7", "--n", "3000", "--out", str(tmp_path)]) == 0
    card = json.loads((tmp_path / CARD_JSON).read_text(encoding="utf-8"))
    assert card["training_data"] | {"seed": 7, "n_projects": 3000, "source": "synthetic"} == card["training_data"]
    model = load_model(tmp_path / ARTIFACT_FILE)
    assert model.version == card["version"]
    assert "AUC" in capsys.readouterr().out


def test_reliability_table_has_ten_bins_that_count_every_project():
    import numpy as np

    p = np.array([0.0, 0.05, 0.15, 0.95, 1.0])
    y = np.array([0, 0, 1, 1, 1])
    table = reliability_table(p, y)
    assert len(table) == 10
    assert sum(row["n"] for row in table) == 5
    assert table[0] == {"bin": "0.0-0.1", "n": 2, "mean_predicted": 0.025, "observed_rate": 0.0}
    assert table[9]["n"] == 2 and table[5]["mean_predicted"] is None

from __future__ import annotations

import json
from pathlib import Path

from services.risk.model import RiskModel
from services.risk.model.golden import GOLDEN_PATH, PROBES, golden_document, main, mismatches
from services.risk.model.scorecard import TrainedModel
from services.risk.model.train import train_synthetic

GOLDEN = json.loads(Path(__file__).with_name("golden.json").read_text(encoding="utf-8"))


def test_the_golden_file_is_the_one_the_update_command_writes():
    assert Path(__file__).with_name("golden.json").resolve() == GOLDEN_PATH
    assert [p["name"] for p in GOLDEN["probes"]] == [p["name"] for p in PROBES]
    assert len(GOLDEN["probes"]) == 20


def test_the_shipped_artifact_reproduces_the_golden_predictions(shipped_model: RiskModel):
    assert mismatches(shipped_model, GOLDEN) == []


def test_retraining_with_the_same_seed_reproduces_them(shipped_model: RiskModel, retrained: TrainedModel):
    assert mismatches(retrained.model, GOLDEN) == []
    assert retrained.model.version == shipped_model.version
    for key in ("scale", "intercept_points", "features"):
        assert retrained.spec[key] == shipped_model.spec[key]


def test_a_changed_model_fails_until_the_golden_file_is_updated(tmp_path: Path):
    other = train_synthetic(seed=20251126)
    problems = mismatches(other.model, GOLDEN)
    assert any(p.startswith("model_version") for p in problems)
    assert len(problems) > 1, "probe outputs must differ too, not only the version"
    assert mismatches(other.model, golden_document(other.model)) == []


def test_the_golden_command_checks_and_updates(tmp_path: Path, capsys):
    path = tmp_path / "golden.json"
    assert main(["--update", "--path", str(path)]) == 0
    assert json.loads(path.read_text(encoding="utf-8")) == GOLDEN
    assert main(["--path", str(path)]) == 0
    tampered = json.loads(path.read_text(encoding="utf-8"))
    tampered["probes"][0]["expected"]["score"] += 1
    path.write_text(json.dumps(tampered), encoding="utf-8")
    assert main(["--path", str(path)]) == 1
    assert "1 golden mismatches" in capsys.readouterr().out

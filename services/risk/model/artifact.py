"""Saving and loading the model artifact (skops) next to its model card, with integrity checks.

The artifact ``risk-model.skops`` holds the scorecard specification only as builtins (dict, list, str, int,
float, bool, None). It is loaded with ``skops.io.loads(data, trusted=TRUSTED_TYPES)``, where ``TRUSTED_TYPES``
is the explicit empty list: no type beyond skops' own defaults is trusted. Because those defaults include
scikit-learn estimators and numpy arrays, ``load_model`` first reads the file's schema and refuses any node
that is not a builtin container or JSON value, and any member besides ``schema.json``. No pickle or joblib.
``model_card.json`` in the same directory records the artifact's sha256; ``load_model`` hashes the bytes it
is about to load and refuses them when they differ from the card.

The artifact's bytes are not reproducible (skops records object ids); its content and predictions are, which
is what the golden test checks.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import skops.io as sio

from .scorecard import RiskModel

ARTIFACT_FILE = "risk-model.skops"
CARD_JSON = "model_card.json"
CARD_MD = "MODEL_CARD.md"
DEFAULT_ARTIFACT_DIR = Path(__file__).resolve().parents[1] / "artifacts"
DEFAULT_ARTIFACT = DEFAULT_ARTIFACT_DIR / ARTIFACT_FILE

# Types trusted beyond skops' defaults: none.
TRUSTED_TYPES: list[str] = []
# The only skops nodes a scorecard artifact may contain: builtin containers, JSON values and builtin types.
ALLOWED_LOADERS = frozenset({"DictNode", "ListNode", "TupleNode", "JsonNode", "TypeNode"})


class ArtifactError(Exception):
    """The artifact or its model card is missing or unusable."""


class ArtifactIntegrityError(ArtifactError):
    """The artifact's sha256 differs from the one recorded in the model card."""


def sha256_hex(data: bytes) -> str:
    """The sha256 of ``data`` as lowercase hex."""
    return hashlib.sha256(data).hexdigest()


def dump_spec(spec: Mapping[str, Any]) -> bytes:
    """The skops bytes of a scorecard specification (plain builtins only)."""
    # Deflate: the skops schema is verbose JSON (one node per list item) and compresses about tenfold.
    return sio.dumps(dict(spec), compression=zipfile.ZIP_DEFLATED, compresslevel=9)


def save_artifact(spec: Mapping[str, Any], out_dir: Path) -> tuple[Path, str]:
    """Write the artifact into ``out_dir``; return its path and sha256.

    Raises ``OSError`` when the directory cannot be written.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    data = dump_spec(spec)
    path = out_dir / ARTIFACT_FILE
    path.write_bytes(data)
    return path, sha256_hex(data)


def _check_plain_data(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.namelist()
            schema = json.loads(archive.read("schema.json")) if members == ["schema.json"] else None
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ArtifactError(f"the artifact is not a skops file: {exc}") from exc
    if schema is None:
        raise ArtifactError(f"the artifact may hold only schema.json, it holds {members}")
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if "__loader__" in node and (
                node.get("__module__") != "builtins" or node["__loader__"] not in ALLOWED_LOADERS
            ):
                module, name = node.get("__module__"), node.get("__class__")
                raise ArtifactError(f"the artifact holds {module}.{name}; only builtins are allowed")
            stack.extend(node.values())


def load_model(path: Path | str = DEFAULT_ARTIFACT, card_path: Path | str | None = None) -> RiskModel:
    """Load a verified ``RiskModel`` from a skops artifact and its model card (``model_card.json`` beside it).

    Raises ``ArtifactError`` when a file is missing or malformed, holds anything but builtins or the card names
    another model version, and ``ArtifactIntegrityError`` when the artifact's sha256 differs from the card's.
    """
    path = Path(path)
    card_file = Path(card_path) if card_path is not None else path.with_name(CARD_JSON)
    try:
        data = path.read_bytes()
        card = json.loads(card_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"cannot read the model artifact or its card: {exc}") from exc
    expected = card.get("artifact", {}).get("sha256")
    actual = sha256_hex(data)
    if actual != expected:
        raise ArtifactIntegrityError(
            f"{path.name} has sha256 {actual}, but {card_file.name} records {expected}; refusing to load"
        )
    _check_plain_data(data)
    spec = sio.loads(data, trusted=TRUSTED_TYPES)
    if not isinstance(spec, dict):
        raise ArtifactError("the artifact does not hold a scorecard specification")
    if card.get("version") != spec.get("version"):
        raise ArtifactError(f"the card describes model {card.get('version')}, the artifact is {spec.get('version')}")
    try:
        return RiskModel(spec, card=card)
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtifactError(f"the artifact holds an invalid scorecard: {exc}") from exc

"""``make openapi``: write each service's OpenAPI document to ``openapi/<service>.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from services.catalog import SERVICES

OPENAPI_DIR = Path(__file__).resolve().parents[1] / "openapi"


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def document(name: str) -> dict[str, Any]:
    entry = SERVICES[name]
    return dict(entry.app(entry.settings(database_url="sqlite+aiosqlite:///:memory:")).openapi())


def main() -> None:
    OPENAPI_DIR.mkdir(exist_ok=True)
    for name in SERVICES:
        path = OPENAPI_DIR / f"{name}.json"
        path.write_text(render(document(name)), encoding="utf-8")
        print(f"wrote {path.relative_to(OPENAPI_DIR.parent)}")


if __name__ == "__main__":
    main()

"""The committed OpenAPI documents match the apps; every operation documents its errors as problem+json."""

from __future__ import annotations

import json

import pytest

from services.catalog import SERVICES
from services.openapi import OPENAPI_DIR, document, render


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_committed_document_matches_the_app(name: str) -> None:
    committed = (OPENAPI_DIR / f"{name}.json").read_text(encoding="utf-8")
    assert committed == render(document(name)), f"openapi/{name}.json is stale: run `make openapi`"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_error_answer_is_problem_json(name: str) -> None:
    spec = json.loads((OPENAPI_DIR / f"{name}.json").read_text(encoding="utf-8"))
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")) and path not in ("/readyz",):
                    assert "application/problem+json" in response.get("content", {}), (method, path, status)
            if operation.get("security"):
                assert "401" in operation["responses"], (method, path)

"""Developers' credit codes, and the error paths every service shares (problem+json, nothing changed)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from services.common.settings import DEV_EVENTS_SECRET, DEV_JWT_SECRET, ServiceSettings
from services.registry.app import create_registry_app
from services.registry.settings import RegistrySettings
from tests.registry.conftest import Registry
from tests.support import factories
from tests.support.apps import auth, running


async def test_a_wrong_check_character_is_refused(registry: Registry) -> None:
    code = factories.credit_code(42)
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    response = await registry.client.post(
        "/v1/developers", json=factories.developer(credit_code=wrong), headers=registry.admin
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "#/body/credit_code"
    assert "check character" in response.json()["errors"][0]["detail"]
    assert await registry.count("developers") == 0
    accepted = await registry.client.post(
        "/v1/developers", json=factories.developer(credit_code=code), headers=registry.admin
    )
    assert accepted.status_code == 201


async def test_unknown_route_and_wrong_method_are_problems(registry: Registry) -> None:
    missing = await registry.client.get("/v1/nowhere", headers=registry.admin)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong = await registry.client.delete("/v1/projects", headers=registry.admin)
    assert wrong.status_code == 405
    assert set(wrong.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    assert wrong.json()["status"] == 405


async def test_an_unexpected_error_is_a_500_that_leaks_nothing(registry_settings) -> None:  # type: ignore[no-untyped-def]
    app: FastAPI = create_registry_app(registry_settings())

    async def explode() -> None:
        raise RuntimeError("password=hunter2 in a stack trace")

    app.add_api_route("/v1/explode", explode)
    async with running(app) as client:
        response = await client.get("/v1/explode", headers=auth())
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert response.json()["type"] == "urn:handover:problem:internal-error"


def test_production_refuses_the_development_secrets() -> None:
    with pytest.raises(ValidationError, match="HANDOVER_JWT_SECRET"):
        ServiceSettings(environment="production")
    with pytest.raises(ValidationError, match="HANDOVER_EVENTS_SECRET"):
        ServiceSettings(environment="production", jwt_secret="x" * 48, events_secret=DEV_EVENTS_SECRET)
    with pytest.raises(ValidationError, match="whsec_"):
        ServiceSettings(events_secret="not-a-webhook-secret")
    assert ServiceSettings(environment="development").jwt_secret == DEV_JWT_SECRET
    assert RegistrySettings(database_url="postgresql://u@h/db").database_url == "postgresql://u@h/db"

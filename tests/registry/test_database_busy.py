"""A write that waits too long for SQLite's lock answers 503 with Retry-After, changes nothing, and is no 500."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from services.common import db
from services.common.migrations import upgrade
from services.registry.app import MIGRATIONS, create_registry_app
from services.registry.settings import RegistrySettings
from tests.support import factories
from tests.support.apps import auth, running


async def test_a_write_kept_waiting_by_another_is_a_503_to_retry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 200)
    path = tmp_path / "registry.db"
    await asyncio.to_thread(upgrade, MIGRATIONS, f"sqlite:///{path}")
    settings = RegistrySettings(database_url=f"sqlite+aiosqlite:///{path}", run_dispatcher=False, subscribers=[])
    app = create_registry_app(settings)
    async with running(app) as client:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        try:
            busy = await client.post("/v1/developers", json=factories.developer(), headers=auth("city_admin"))
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert busy.status_code == 503, busy.text
        assert busy.headers["retry-after"] == "1"
        assert busy.json()["type"] == "urn:handover:problem:service-unavailable"
        listed = await client.get("/v1/developers", headers=auth("city_admin"))
        assert listed.json()["items"] == []
        retried = await client.post("/v1/developers", json=factories.developer(), headers=auth("city_admin"))
        assert retried.status_code == 201

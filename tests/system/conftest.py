"""The three services as real uvicorn processes on PostgreSQL, wired to each other, plus a bank receiver."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.catalog import SERVICES
from tests.support import databases, processes
from tests.support.apps import auth

NAMES = ("registry", "risk", "financing")


class Cluster:
    """Three services on fixed ports and their own databases; each can be stopped, killed and started again."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.ports = {name: processes.free_port() for name in NAMES}
        self.urls = {name: f"http://127.0.0.1:{port}" for name, port in self.ports.items()}
        self.databases: dict[str, tuple[str, str]] = {}
        self.processes: dict[str, processes.Process] = {}
        self.admin = auth("city_admin")

    def env(self, name: str) -> dict[str, str]:
        prefix = name.upper()
        return {
            **{f"HANDOVER_{peer.upper()}_URL": url for peer, url in self.urls.items()},
            "HANDOVER_WEBHOOK_ALLOW_PRIVATE": "true",
            "HANDOVER_PEER_TIMEOUT_SECONDS": "2",
            f"{prefix}_DATABASE_URL": self.databases[name][0],
            f"{prefix}_DISPATCH_BACKOFF_SECONDS": "[0.3]",
            f"{prefix}_DISPATCH_POLL_SECONDS": "0.1",
            # A killed dispatcher's claims come back when their lease ends; keep that short here.
            f"{prefix}_DISPATCH_LEASE_SECONDS": "12",
            "RISK_REASSESS_DELAY_SECONDS": "0.05",
            "RISK_FUNDING_RETRY_SECONDS": "0.5",
            "RISK_FALL_AFTER": "1",
        }

    def start(self, name: str, port: int | None = None) -> None:
        """Start ``name`` on its own database; on ``port`` instead of its own when something else holds that."""
        if name not in self.databases:
            self.databases[name] = databases.postgres_database(name, SERVICES[name].migrations_dir)
        process = processes.service(name, self.workdir, self.env(name), port=port or self.ports[name])
        self.processes[name] = process.start(ready_path="/readyz")

    def stop(self, name: str) -> None:
        self.processes[name].stop()

    def kill(self, name: str) -> None:
        self.processes[name].kill()

    def logs(self, name: str) -> str:
        return "".join(p.read_text(errors="replace") for p in self.workdir.glob(f"{name}-*.log"))

    def client(self, name: str, timeout: float = 10) -> httpx.Client:
        return httpx.Client(base_url=self.urls[name], timeout=timeout)

    def close(self) -> None:
        for process in self.processes.values():
            process.stop()
        for _, database in self.databases.values():
            databases.drop_postgres_database(database)


def eventually(check: Callable[[], Any], timeout: float = 20, interval: float = 0.2) -> Any:
    """Poll ``check`` until it returns something truthy; fail with its last value after ``timeout``."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"not reached within {timeout}s; last value {value!r}")


def assessment_made(risk: httpx.Client, cluster: Cluster, run: httpx.Response, project_id: str) -> dict[str, Any]:
    """The assessment that ``run`` (the answer of ``POST /v1/assessments``) made of the project.

    Not the project's latest: risk also assesses a project when registry's ``project.facts_changed`` reaches it,
    and that delivery may land just after the run (a project created a moment before, say), its assessment then
    the latest. Which comes last depends on the machine's load, so a test must name the one it means."""
    assert run.status_code == 200, run.text
    [made] = [item["assessment_id"] for item in run.json()["items"] if item["project_id"] == project_id]
    items = risk.get(f"/v1/projects/{project_id}/assessments", headers=cluster.admin).json()["items"]
    [assessment] = [item for item in items if item["id"] == made]
    return dict(assessment)


def received(receiver: processes.Process) -> list[dict[str, Any]]:
    return list(httpx.get(receiver.url + "/received", timeout=5).json())


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    databases.require_postgres()
    system = Cluster(tmp_path_factory.mktemp("system"))
    try:
        for name in NAMES:
            system.start(name)
        yield system
    finally:
        system.close()


def json_lines(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


def sql(cluster: Cluster, name: str, query: str) -> list[Any]:
    """Rows of ``query`` in one service's database, read straight from PostgreSQL."""
    import asyncio

    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(cluster.databases[name][0])

    async def run() -> list[Any]:
        connection = await asyncpg.connect(
            host=url.host, port=url.port or 5432, user=url.username, password=url.password, database=url.database
        )
        try:
            return list(await connection.fetch(query))
        finally:
            await connection.close()

    return asyncio.run(run())

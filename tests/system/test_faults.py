"""Faults survived: a peer down, a peer hanging, a service killed in the middle of dispatching."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest

from services.common import clock
from tests.support import factories
from tests.support.apps import auth
from tests.system.conftest import Cluster, eventually, sql

pytestmark = [pytest.mark.system, pytest.mark.postgres]


def _stalled_project(
    cluster: Cluster, weeks_ago: int = 30, timeout: float = 10
) -> tuple[dict[str, Any], httpx.Response]:
    with cluster.client("registry", timeout=timeout) as registry:
        developer = registry.post("/v1/developers", json=factories.developer(), headers=cluster.admin).json()
        project = registry.post("/v1/projects", json=factories.project(developer["id"]), headers=cluster.admin).json()
        day = clock.today() - timedelta(weeks=weeks_ago)
        response = registry.post(
            f"/v1/projects/{project['id']}/progress-reports",
            json={
                "week": f"{day.isocalendar()[0]}-W{day.isocalendar()[1]:02d}",
                "progress_pct": "30.0",
                "working": False,
                "workers_on_site": 0,
            },
            headers=auth("district_officer", district=project["district"]),
        )
    return project, response


def _tier(cluster: Cluster, project_id: str) -> str | None:
    with cluster.client("registry") as registry:
        return registry.get(f"/v1/projects/{project_id}", headers=cluster.admin).json()["risk_tier"]


def test_risk_down_reports_still_accepted_and_the_tier_catches_up(cluster: Cluster) -> None:
    cluster.stop("risk")
    try:
        project, response = _stalled_project(cluster)
        assert response.status_code == 201
        waiting = sql(
            cluster,
            "registry",
            f"SELECT d.status FROM outbox_deliveries d JOIN outbox_events e ON e.id = d.event_id "
            f"WHERE e.project_id = '{project['id']}'",
        )
        assert waiting and all(row["status"] == "pending" for row in waiting)
        assert _tier(cluster, project["id"]) is None
    finally:
        cluster.start("risk")
    eventually(lambda: _tier(cluster, project["id"]) == "red", timeout=30)


def test_financing_down_means_funding_unknown_until_it_returns(cluster: Cluster) -> None:
    project, _ = _stalled_project(cluster, weeks_ago=2)
    eventually(lambda: _tier(cluster, project["id"]))
    cluster.stop("financing")
    try:
        with cluster.client("risk") as risk:
            run = risk.post("/v1/assessments", json={"project_ids": [project["id"]]}, headers=cluster.admin)
            assert run.status_code == 200, run.text
            latest = risk.get(f"/v1/projects/{project['id']}/assessments", headers=cluster.admin).json()["items"][0]
            assert latest["funding_unknown"] is True
    finally:
        cluster.start("financing")

    def redone() -> bool:
        with cluster.client("risk") as risk:
            items = risk.get(f"/v1/projects/{project['id']}/assessments", headers=cluster.admin).json()["items"]
        return items[0]["funding_unknown"] is False

    eventually(redone, timeout=30)


def test_killed_mid_dispatch_nothing_lost_nothing_applied_twice(cluster: Cluster) -> None:
    with cluster.client("registry") as registry:
        developer = registry.post("/v1/developers", json=factories.developer(), headers=cluster.admin).json()
        ids = []
        for _ in range(25):
            project = registry.post("/v1/projects", json=factories.project(developer["id"]), headers=cluster.admin)
            ids.append(project.json()["id"])
    cluster.kill("registry")
    cluster.start("registry")
    quoted = ", ".join(f"'{i}'" for i in ids)

    def all_delivered() -> bool:
        rows = sql(
            cluster,
            "registry",
            f"SELECT d.status FROM outbox_deliveries d JOIN outbox_events e ON e.id = d.event_id "
            f"WHERE e.project_id IN ({quoted})",
        )
        return len(rows) == len(ids) and all(row["status"] == "delivered" for row in rows)

    eventually(all_delivered, timeout=30)
    sent = {r["id"] for r in sql(cluster, "registry", f"SELECT id FROM outbox_events WHERE project_id IN ({quoted})")}
    applied = [r["webhook_id"] for r in sql(cluster, "risk", "SELECT webhook_id FROM inbox_messages")]
    assert sent <= set(applied), "every event reached risk"
    assert len(applied) == len(set(applied)), "none was applied twice"


@contextmanager
def _hanging_server(port: int) -> Iterator[None]:
    """Accepts connections on ``port`` and never answers: a peer that hangs."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()


def test_a_hanging_risk_never_slows_registry(cluster: Cluster) -> None:
    cluster.stop("risk")
    try:
        with _hanging_server(cluster.ports["risk"]):
            for _ in range(3):
                # The client gives up long before the dispatcher's own timeout: registry must not wait on risk.
                project, response = _stalled_project(cluster, timeout=2)
                assert response.status_code == 201
            with httpx.Client(base_url=cluster.urls["registry"], timeout=2) as registry:
                assert registry.get("/readyz").status_code == 200
    finally:
        cluster.start("risk")
    eventually(lambda: _tier(cluster, project["id"]) == "red", timeout=40)

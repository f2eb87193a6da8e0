"""Faults survived: a peer down, a peer hanging, a service killed in the middle of dispatching."""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from services.common import clock
from services.common.days import week_of
from tests.support import factories, processes
from tests.support.apps import auth
from tests.system.conftest import Cluster, assessment_made, eventually, sql

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
                "week": week_of(day),
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
    eventually(lambda: _tier(cluster, project["id"]) == "red", timeout=90)


def test_financing_down_means_funding_unknown_until_it_returns(cluster: Cluster) -> None:
    project, _ = _stalled_project(cluster, weeks_ago=2)
    eventually(lambda: _tier(cluster, project["id"]))
    cluster.stop("financing")
    try:
        with cluster.client("risk") as risk:
            run = risk.post("/v1/assessments", json={"project_ids": [project["id"]]}, headers=cluster.admin)
            assert assessment_made(risk, cluster, run, project["id"])["funding_unknown"] is True
    finally:
        cluster.start("financing")

    def redone() -> bool:
        with cluster.client("risk") as risk:
            items = risk.get(f"/v1/projects/{project['id']}/assessments", headers=cluster.admin).json()["items"]
        return items[0]["funding_unknown"] is False

    eventually(redone, timeout=90)


class _InboxInTheMiddle:
    """Stands on risk's address: first holds every delivery unanswered (recording its webhook-id), then passes
    each on to the real risk and records what risk answered."""

    def __init__(self, port: int) -> None:
        self.held: list[str] = []
        self.answers: list[tuple[str, str]] = []
        self.forward_to: str | None = None
        self.release = threading.Event()
        middle = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                webhook_id = self.headers["webhook-id"]
                if middle.forward_to is None:
                    middle.held.append(webhook_id)
                    middle.release.wait(60)
                    self.close_connection = True
                    return
                passed = {k: v for k, v in self.headers.items() if k.lower().startswith(("webhook-", "content-type"))}
                answer = httpx.post(middle.forward_to + self.path, content=body, headers=passed, timeout=10)
                middle.answers.append((webhook_id, answer.json().get("status", str(answer.status_code))))
                self.send_response(answer.status_code)
                self.send_header("content-type", answer.headers.get("content-type", "application/json"))
                self.send_header("content-length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _InboxInTheMiddle:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def test_killed_mid_dispatch_nothing_lost_nothing_applied_twice(cluster: Cluster) -> None:
    cluster.stop("risk")
    risk_elsewhere = processes.free_port()
    try:
        with _InboxInTheMiddle(cluster.ports["risk"]) as middle:
            with cluster.client("registry") as registry:
                developer = registry.post("/v1/developers", json=factories.developer(), headers=cluster.admin).json()
                ids = []
                for _ in range(25):
                    project = registry.post(
                        "/v1/projects", json=factories.project(developer["id"]), headers=cluster.admin
                    )
                    assert project.status_code == 201, project.text
                    ids.append(project.json()["id"])
            quoted = ", ".join(f"'{i}'" for i in ids)
            events = {
                r["id"]
                for r in sql(cluster, "registry", f"SELECT id FROM outbox_events WHERE project_id IN ({quoted})")
            }
            assert len(events) == len(ids)

            def in_flight() -> set[str]:
                """Events risk's address holds unanswered while registry's lease on them runs, unrecorded."""
                leased = sql(
                    cluster,
                    "registry",
                    "SELECT d.event_id FROM outbox_deliveries d WHERE d.status = 'pending' AND d.attempts = 0 "
                    f"AND d.lease_until > now() AND d.event_id IN ({', '.join(repr(e) for e in events)})",
                )
                return {r["event_id"] for r in leased} & set(middle.held)

            caught = eventually(in_flight, timeout=60)
            cluster.kill("registry")
            middle.forward_to = f"http://127.0.0.1:{risk_elsewhere}"
            middle.release.set()
            cluster.start("risk", port=risk_elsewhere)
            cluster.start("registry")

            def all_delivered() -> bool:
                rows = sql(
                    cluster,
                    "registry",
                    "SELECT d.status FROM outbox_deliveries d JOIN outbox_events e ON e.id = d.event_id "
                    f"WHERE e.project_id IN ({quoted})",
                )
                return len(rows) == len(ids) and all(row["status"] == "delivered" for row in rows)

            eventually(all_delivered, timeout=120)
        received = Counter(middle.held) + Counter(webhook_id for webhook_id, _ in middle.answers)
        # Each delivery held when registry died reached risk's address again after the restart.
        assert all(received[event] >= 2 for event in caught), {e: received[e] for e in caught}
        answers: dict[str, list[str]] = {}
        for webhook_id, status in middle.answers:
            answers.setdefault(webhook_id, []).append(status)
        # Every event was applied exactly once, however often it came; any repeat was answered as a duplicate.
        assert {event: answers.get(event, []).count("applied") for event in events} == dict.fromkeys(events, 1)
        assert all(set(answers[event]) <= {"applied", "duplicate"} for event in events)
    finally:
        cluster.stop("risk")
        cluster.start("risk")


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
    # The dispatcher may have paused risk's address after the timeouts; on a busy machine that takes a while.
    eventually(lambda: _tier(cluster, project["id"]) == "red", timeout=120)

"""A whole RS256 deployment in production mode, as real processes on PostgreSQL: user tokens from the identity
provider's key, peers authenticating each other with the service token secret, and a stall reported in registry
reaching risk's tier and financing's bank over those peer calls."""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import jwt
import pytest

from services.catalog import SERVICES
from services.common import clock
from services.common.days import week_of
from services.common.settings import DEV_JWT_SECRET
from tests.security.conftest import KeyPair
from tests.support import databases, factories, processes
from tests.system.conftest import NAMES, Cluster, eventually

pytestmark = [pytest.mark.system, pytest.mark.postgres]

BANK = "ICBC"
ISSUER = "https://idp.city.example"
AUDIENCE = "handover"
READS = {"registry": "/v1/districts", "risk": "/v1/model", "financing": "/v1/banks"}
SERVICE_SECRET = base64.b64encode(os.urandom(36)).decode()
EVENTS_SECRET = "whsec_" + base64.b64encode(os.urandom(32)).decode()


class RS256Cluster(Cluster):
    """The system tests' cluster in production mode with RS256 user tokens."""

    def __init__(self, workdir: Any, keys: KeyPair) -> None:
        super().__init__(workdir)
        self.keys = keys
        self.admin = self.user("city_admin")

    def env(self, name: str) -> dict[str, str]:
        return {
            **super().env(name),
            "HANDOVER_ENV": "production",
            "HANDOVER_JWT_PUBLIC_KEY": self.keys.public,
            "HANDOVER_SERVICE_TOKEN_SECRET": SERVICE_SECRET,
            "HANDOVER_EVENTS_SECRET": EVENTS_SECRET,
            "HANDOVER_JWT_ISSUER": ISSUER,
            "HANDOVER_JWT_AUDIENCE": AUDIENCE,
        }

    def start(self, name: str) -> None:
        if name not in self.databases:
            self.databases[name] = databases.postgres_database(name, SERVICES[name].migrations_dir)
        process = processes.service(name, self.workdir, self.env(name), port=self.ports[name])
        # Kept before it is ready, so that close() stops a process that never became ready.
        self.processes[name] = process
        process.start(ready_path="/readyz", timeout=120)

    def user(self, role: str, key: str | None = None, **claims: Any) -> dict[str, str]:
        """Headers with an RS256 token from the identity provider (or signed with ``key``)."""
        now = int(time.time())
        payload = {"sub": f"idp:{role}", "role": role, "iat": now, "exp": now + 900, "iss": ISSUER, "aud": AUDIENCE}
        token = jwt.encode({**payload, **claims}, key or self.keys.private, algorithm="RS256")
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def rs256_cluster(tmp_path_factory: pytest.TempPathFactory, idp_keys: KeyPair) -> Iterator[RS256Cluster]:
    databases.require_postgres()
    cluster = RS256Cluster(tmp_path_factory.mktemp("rs256"), idp_keys)
    try:
        for name in NAMES:
            cluster.start(name)
        yield cluster
    finally:
        cluster.close()


def test_a_stall_reaches_risk_and_the_funding_bank_over_rs256(rs256_cluster: RS256Cluster) -> None:
    cluster = rs256_cluster
    with cluster.client("registry") as registry, cluster.client("financing") as financing:
        created = financing.post("/v1/banks", json={"code": BANK, "name": "工商银行"}, headers=cluster.admin)
        assert created.status_code == 201, created.text
        developer = registry.post("/v1/developers", json=factories.developer(), headers=cluster.admin).json()
        project = registry.post(
            "/v1/projects",
            json=factories.project(developer["id"], remaining_cost="300000000.00", own_funds_available="50000000.00"),
            headers=cluster.admin,
        ).json()
        officer = cluster.user("district_officer", district=project["district"])
        # Nominating makes financing ask registry for the project with its service token.
        entry = financing.post(
            "/v1/whitelist",
            json={"project_id": project["id"], "category": "normal", "requested_amount": "10000000.00"},
            headers=officer,
        )
        assert entry.status_code == 201, entry.text
        path = f"/v1/whitelist/{entry.json()['id']}/transitions"
        assert financing.post(path, json={"action": "prereview_pass"}, headers=officer).status_code == 200
        assert financing.post(path, json={"action": "city_approve"}, headers=cluster.admin).status_code == 200
        pushed = financing.post(path, json={"action": "push", "banks": [BANK]}, headers=cluster.admin)
        assert pushed.status_code == 200, pushed.text
        bank = cluster.user("bank", bank=BANK)
        decision = financing.post(
            f"/v1/whitelist/{entry.json()['id']}/bank-decisions",
            json={"decision": "approve", "amount": "10000000.00"},
            headers=bank,
        )
        assert decision.status_code == 201, decision.text

        stall = registry.post(
            f"/v1/projects/{project['id']}/progress-reports",
            json={
                "week": week_of(clock.today() - timedelta(weeks=30)),
                "progress_pct": "40.0",
                "working": False,
                "workers_on_site": 0,
                "issues": "停工",
                "actions": "约谈开发商",
            },
            headers=officer,
        )
        assert stall.status_code == 201, stall.text
        eventually(
            lambda: registry.get(f"/v1/projects/{project['id']}", headers=cluster.admin).json()["risk_tier"] == "red",
            timeout=40,
        )

        def tier_events() -> list[dict[str, Any]]:
            feed = financing.get("/v1/events", headers=bank).json()["items"]
            return [
                e for e in feed if e["type"] == "project.risk_tier_changed" and e["data"]["project_id"] == project["id"]
            ]

        # Risk told registry first; the bank's copy of the news may still be on its way (yellow came before).
        eventually(lambda: [e["data"]["tier"] for e in tier_events()][-1:] == ["red"], timeout=40)

    with cluster.client("risk") as risk:
        history = risk.get(f"/v1/projects/{project['id']}/assessments", headers=cluster.admin).json()["items"]
    latest = history[0]
    assert latest["tier"] == "red"
    assert latest["funding_unknown"] is False, "risk reached financing with its service token"
    assert latest["facts"]["undrawn_amount"] == "10000000.00"


def test_the_deployment_refuses_every_other_kind_of_token(rs256_cluster: RS256Cluster, attacker_keys: KeyPair) -> None:
    cluster = rs256_cluster
    now = int(time.time())
    base = {"sub": "x", "iat": now, "exp": now + 600, "iss": ISSUER, "aud": AUDIENCE}
    forged = {
        "another key": cluster.user("city_admin", key=attacker_keys.private),
        "the development HS256 secret": {
            "Authorization": "Bearer " + jwt.encode({**base, "role": "city_admin"}, DEV_JWT_SECRET, algorithm="HS256")
        },
        "the service secret for a user role": {
            "Authorization": "Bearer " + jwt.encode({**base, "role": "city_admin"}, SERVICE_SECRET, algorithm="HS256")
        },
        "another issuer": cluster.user("city_admin", iss="https://evil.example"),
        "another audience": cluster.user("city_admin", aud="someone-else"),
        "a day-long lifetime": cluster.user("city_admin", exp=now + 86_400 * 2),
    }
    for name, path in READS.items():
        with cluster.client(name) as client:
            assert client.get(path, headers=cluster.admin).status_code == 200
            for what, headers in forged.items():
                response = client.get(path, headers=headers)
                assert response.status_code == 401, f"{name} accepted a token with {what}"

"""Fixtures of the security tests: each service in-process on the test's backend with its peers mocked, the
identity provider's RSA keys, and tokens signed every way an attacker might try."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import respx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from services.financing.app import MIGRATIONS as FINANCING_MIGRATIONS
from services.financing.app import create_financing_app
from services.financing.settings import FinancingSettings
from services.registry.app import MIGRATIONS as REGISTRY_MIGRATIONS
from services.registry.app import create_registry_app
from services.registry.settings import RegistrySettings
from services.risk.app import MIGRATIONS as RISK_MIGRATIONS
from services.risk.app import create_risk_app
from services.risk.settings import RiskSettings
from tests.conftest import DatabaseFactory
from tests.support.apps import LazyAuth, auth, running
from tests.support.peers import (
    FundingPositionsMock,
    ProjectsMock,
    RiskFactsMock,
    mock_funding_positions,
    mock_registry,
    mock_risk_facts,
    registry_project,
)
from tests.support.rows import Rows

REGISTRY_URL = "http://registry.test"
FINANCING_URL = "http://financing.test"
ADMIN = LazyAuth("city_admin")
Steps = tuple[tuple[str, dict[str, Any]], ...]
LISTED: Steps = (("prereview_pass", {}), ("city_approve", {}))


@dataclass(frozen=True)
class KeyPair:
    """An RSA key pair as PEM text."""

    private: str
    public: str


def _key_pair(bits: int = 2048) -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return KeyPair(private.decode(), public.decode())


@pytest.fixture(scope="session")
def idp_keys() -> KeyPair:
    """The city identity provider's keys: the services get the public half only."""
    return _key_pair()


@pytest.fixture(scope="session")
def attacker_keys() -> KeyPair:
    """A key pair of the attacker's own."""
    return _key_pair()


@dataclass
class Service:
    """A running service app, its client and its database URL."""

    client: httpx.AsyncClient
    app: FastAPI
    database_url: str

    @property
    def db(self) -> Rows:
        """The service's database, read on the running app's own engine."""
        return Rows(self.app.state.database.engine)

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        """Rows read straight from the service's database."""
        return await self.db.all(sql, **params)

    async def count(self, table: str) -> int:
        return await self.db.count(table)

    async def counts(self, *tables: str) -> dict[str, int]:
        """Row counts of ``tables``, to show a refused request changed nothing."""
        return await self.db.counts(*tables)


@dataclass
class Peers:
    """respx mocks of what the services ask each other: registry's projects and facts, financing's positions."""

    router: respx.Router
    projects: ProjectsMock
    facts: RiskFactsMock
    positions: FundingPositionsMock


@pytest.fixture
def peers() -> Iterator[Peers]:
    with respx.mock(assert_all_called=False) as router:
        mocks = Peers(
            router,
            mock_registry(router, base_url=REGISTRY_URL),
            mock_risk_facts(router, base_url=REGISTRY_URL),
            mock_funding_positions(router, base_url=FINANCING_URL),
        )
        router.route().pass_through()
        yield mocks


ServiceFactory = Callable[..., contextlib.AbstractAsyncContextManager[Service]]
_QUIET: dict[str, Any] = {"run_dispatcher": False, "subscribers": []}


def _starter(
    database_factory: DatabaseFactory,
    name: str,
    migrations: Any,
    create_app: Callable[[Any], FastAPI],
    settings_class: Callable[..., Any],
    **defaults: Any,
) -> ServiceFactory:
    @contextlib.asynccontextmanager
    async def start(**settings: Any) -> AsyncIterator[Service]:
        url = database_factory(name, migrations)
        app = create_app(settings_class(**{"database_url": url, **_QUIET, **defaults, **settings}))
        async with running(app) as client:
            yield Service(client, app, url)

    return start


@pytest.fixture
def start_registry(database_factory: DatabaseFactory) -> ServiceFactory:
    """``async with start_registry(**settings) as registry``: the registry on a fresh database."""
    return _starter(database_factory, "registry", REGISTRY_MIGRATIONS, create_registry_app, RegistrySettings)


@pytest.fixture
def start_financing(database_factory: DatabaseFactory, peers: Peers) -> ServiceFactory:
    """``async with start_financing(**settings) as financing``: financing asking the mocked registry."""
    return _starter(
        database_factory,
        "financing",
        FINANCING_MIGRATIONS,
        create_financing_app,
        FinancingSettings,
        registry_url=REGISTRY_URL,
    )


@pytest.fixture
def start_risk(database_factory: DatabaseFactory, peers: Peers) -> ServiceFactory:
    """``async with start_risk(**settings) as risk``: risk asking the mocked registry and financing."""
    return _starter(
        database_factory,
        "risk",
        RISK_MIGRATIONS,
        create_risk_app,
        RiskSettings,
        registry_url=REGISTRY_URL,
        financing_url=FINANCING_URL,
        run_workers=False,
        reassess_delay_seconds=0,
    )


@pytest.fixture
async def registry(start_registry: ServiceFactory) -> AsyncIterator[Service]:
    async with start_registry() as service:
        yield service


@pytest.fixture
async def financing(start_financing: ServiceFactory) -> AsyncIterator[Service]:
    async with start_financing() as service:
        yield service


@pytest.fixture
async def risk(start_risk: ServiceFactory) -> AsyncIterator[Service]:
    async with start_risk() as service:
        yield service


def pushed_to(*banks: str) -> Steps:
    """The whitelist steps that take a nominated entry to ``banks``."""
    return (*LISTED, ("push", {"banks": list(banks)}))


async def create_bank(financing: Service, code: str) -> dict[str, str]:
    """Register a bank; the headers of its token."""
    response = await financing.client.post("/v1/banks", json={"code": code, "name": f"{code} 银行"}, headers=ADMIN)
    assert response.status_code == 201, response.text
    return auth("bank", bank=code)


def known_project(peers: Peers, district: str = "990101") -> str:
    """A project the mocked registry knows; its id."""
    project = registry_project(district=district)
    peers.projects.put(project)
    return str(project["id"])


async def whitelist_entry(financing: Service, project_id: str, steps: Steps = ()) -> str:
    """A whitelist entry of ``project_id`` nominated by a city admin and taken through ``steps``; its id."""
    entry = await financing.client.post(
        "/v1/whitelist",
        json={"project_id": project_id, "category": "normal", "requested_amount": "1000000.00"},
        headers=ADMIN,
    )
    assert entry.status_code == 201, entry.text
    for action, fields in steps:
        step = await financing.client.post(
            f"/v1/whitelist/{entry.json()['id']}/transitions", json={"action": action, **fields}, headers=ADMIN
        )
        assert step.status_code == 200, step.text
    return str(entry.json()["id"])

"""Webhook destinations (SSRF): which addresses may receive, that the address checked is the address connected
to, that TLS stays with the name, and that a bank never sees what a destination answered."""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from services.common import netguard
from services.common.db import Database
from services.common.dispatcher import Dispatcher
from services.common.events import EventType
from services.financing.app import MIGRATIONS
from services.financing.models import OUTBOX
from services.financing.webhooks.hooks import EndpointHooks
from tests.financing import conftest as financing_fixtures
from tests.financing.conftest import Financing
from tests.support import processes
from tests.support.apps import auth

# The in-process financing app of the test's backend, with the registry mocked.
registry_mock = financing_fixtures.registry_mock
financing_settings = financing_fixtures.financing_settings
financing_factory = financing_fixtures.financing_factory

# ---------------------------------------------------------------------------------------------------------------
# Which addresses are public


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),  # loopback
        ("10.1.2.3", False),  # private
        ("172.16.0.1", False),
        ("192.168.0.1", False),
        ("169.254.169.254", False),  # link-local: cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("100.100.100.200", False),  # a cloud's metadata service inside carrier-grade NAT
        ("100.127.255.254", False),
        ("192.0.0.8", False),  # IETF protocol assignments, 192.0.0.0/24
        ("192.0.0.9", False),  # a global anycast by IANA, still inside 192.0.0.0/24
        ("192.0.2.1", False),  # documentation
        ("198.18.0.1", False),  # benchmarking
        ("0.0.0.0", False),
        ("255.255.255.255", False),
        ("240.0.0.1", False),  # reserved
        ("224.0.0.1", False),  # multicast
        ("233.252.0.1", False),  # multicast that is_global calls global
        ("::1", False),
        ("::", False),
        ("fe80::1", False),  # link-local
        ("fc00::1", False),  # unique local
        ("fec0::1", False),  # site-local, deprecated
        ("ff0e::1", False),  # global-scope multicast
        ("2001:db8::1", False),  # documentation
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("::ffff:169.254.169.254", False),
        ("::ffff:93.184.216.34", True),  # IPv4-mapped public
        ("::127.0.0.1", False),  # IPv4-compatible (deprecated): refused whatever it carries
        ("::93.184.216.34", False),
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2002:a9fe:a9fe::1", False),  # 6to4 of 169.254.169.254
        ("2002:6464:64c8::1", False),  # 6to4 of 100.100.100.200
        ("2002:5db8:d822::1", True),  # 6to4 of a public address
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254
        ("64:ff9b::6464:64c8", False),  # NAT64 of 100.100.100.200
        ("64:ff9b::5db8:d822", True),  # NAT64 of a public address
        ("64:ff9b:1::5db8:d822", False),  # local-use NAT64: a network's own translator
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo
        ("2001:0:5db8:d822:0:f227:a247:dd5f", False),  # Teredo whose server is public and client not
    ],
)
def test_only_public_addresses_may_receive(address: str, public: bool) -> None:
    assert netguard.is_public(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("https://bank.example/hooks", None),
        ("http://bank.example/hooks", None),
        ("https://bank.example:443/hooks", None),
        ("http://bank.example:80/hooks", None),
        ("https://bank.example:8443/hooks", None),
        ("https://bank.example:1024/hooks", None),
        ("https://bank.example:65535/hooks", None),
        ("https://bank.example:22/hooks", "port"),
        ("http://bank.example:25/hooks", "port"),
        ("https://bank.example:80/hooks", "port"),  # 80 is http's port, not https's
        ("https://bank.example:1023/hooks", "port"),
        ("ftp://bank.example/hooks", "http or https"),
        ("file:///etc/passwd", "http or https"),
        ("gopher://bank.example:70/_", "http or https"),
        ("https:///hooks", "host"),
        ("https://user:secret@bank.example/hooks", "user name or password"),
        ("https://user@bank.example/hooks", "user name or password"),
        ("https://bank.example:99999/hooks", "port"),
        ("http://[::1/hooks", "malformed"),
    ],
)
def test_url_rules(url: str, refused: str | None) -> None:
    if refused is None:
        assert netguard.check_url(url).host == "bank.example"
        return
    with pytest.raises(netguard.DestinationRefused, match=refused):
        netguard.check_url(url)


async def test_one_internal_answer_refuses_the_name_and_the_refusal_says_nothing_of_it() -> None:
    async def mixed(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.5"]

    async def missing(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    refusals = []
    for resolver in (mixed, missing):
        with pytest.raises(netguard.DestinationRefused) as refused:
            await netguard.check_destination("https://bank.example/hooks", allow_private=False, resolver=resolver)
        refusals.append(str(refused.value))
    assert refusals[0] == refusals[1] == netguard.REFUSED
    assert "10.0.0.5" not in refusals[0]


# ---------------------------------------------------------------------------------------------------------------
# Registration through a real financing process


HOSTILE_URLS = [
    "http://127.0.0.1:8080/hooks",
    "http://localhost:8080/hooks",
    "http://10.1.2.3/hooks",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.100.100.200/latest/meta-data/",
    "http://192.0.0.8/hooks",
    "http://[::1]:8080/hooks",
    "http://[::ffff:127.0.0.1]:8080/hooks",
    "http://[::127.0.0.1]:8080/hooks",
    "http://[2002:7f00:1::]:8080/hooks",
    "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
    "http://[64:ff9b:1::a9fe:a9fe]/latest/meta-data/",
    "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hooks",
    "http://2130706433:8080/hooks",  # 127.0.0.1 as one number
    "http://0x7f.1:8080/hooks",
    "http://0:8080/hooks",
    "http://nothing.invalid/hooks",
    "gopher://93.184.216.34:70/_",
    "https://user:pw@93.184.216.34/hooks",
    "https://93.184.216.34:22/hooks",
]


@pytest.fixture
def strict_financing(database_factory: Callable[..., str], tmp_path: Path) -> Iterator[processes.Process]:
    """A financing process of the test's backend that allows no private destinations."""
    env = {
        "FINANCING_DATABASE_URL": database_factory("financing", MIGRATIONS),
        "FINANCING_RUN_DISPATCHER": "false",
        "FINANCING_SUBSCRIBERS": "[]",
        "HANDOVER_WEBHOOK_ALLOW_PRIVATE": "false",
    }
    process = processes.service("financing", tmp_path, env).start(ready_path="/readyz")
    yield process
    process.stop()


def test_a_real_financing_refuses_internal_destinations(strict_financing: processes.Process) -> None:
    with httpx.Client(base_url=strict_financing.url, timeout=10) as client:
        created = client.post("/v1/banks", json={"code": "ATTACKER", "name": "攻击银行"}, headers=auth())
        assert created.status_code == 201, created.text
        bank = auth("bank", bank="ATTACKER")
        for url in HOSTILE_URLS:
            response = client.post(
                "/v1/webhook-endpoints", json={"url": url, "event_types": ["credit_line.approved"]}, headers=bank
            )
            assert response.status_code == 422, (url, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["errors"][0]["pointer"] == "#/body/url"
        assert client.get("/v1/webhook-endpoints", headers=bank).json()["items"] == []
        public = client.post(
            "/v1/webhook-endpoints",
            json={"url": "https://93.184.216.34/hooks", "event_types": ["credit_line.approved"]},
            headers=bank,
        )
        assert public.status_code == 201, public.text
        moved = client.patch(
            f"/v1/webhook-endpoints/{public.json()['id']}",
            json={"url": "http://[64:ff9b::6464:64c8]/latest"},
            headers=bank,
        )
        assert moved.status_code == 422
        [endpoint] = client.get("/v1/webhook-endpoints", headers=bank).json()["items"]
        assert endpoint["url"] == "https://93.184.216.34/hooks"


# ---------------------------------------------------------------------------------------------------------------
# Deliveries: a recording receiver, a resolver the test controls, and a dispatcher that uses it

RECORDER = """
import json, sys
import uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

config = json.loads(sys.argv[1])

async def hook(request):
    await request.body()
    with open(config["log"], "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"host": request.headers.get("host"), "server": request.scope["server"][0]}) + "\\n")
    headers = {"location": config["location"]} if config.get("location") else {}
    return Response(config.get("body", ""), status_code=config.get("status", 204), headers=headers)

app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
uvicorn.run(app, host=config["host"], port=config["port"], log_level="warning",
            ssl_certfile=config.get("cert"), ssl_keyfile=config.get("key"))
"""


class Recorder:
    """A receiver process on one address that logs the ``Host`` header and the local address of each POST."""

    def __init__(self, tmp_path: Path, host: str, port: int, **config: Any) -> None:
        self.log = tmp_path / f"recorder-{host}-{port}.jsonl"
        script = tmp_path / "recorder.py"
        script.write_text(RECORDER)
        arguments = json.dumps({"host": host, "port": port, "log": str(self.log), **config})
        self.popen = subprocess.Popen(
            [sys.executable, str(script), arguments],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=dict(os.environ),
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection((host, port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline and self.popen.poll() is None, "the recorder did not start"
                time.sleep(0.1)

    def received(self) -> list[dict[str, str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]

    def stop(self) -> None:
        self.popen.terminate()
        self.popen.wait(10)


@pytest.fixture
def recorders(tmp_path: Path) -> Iterator[Callable[..., Recorder]]:
    started: list[Recorder] = []

    def start(host: str, port: int, **config: Any) -> Recorder:
        started.append(Recorder(tmp_path, host, port, **config))
        return started[-1]

    yield start
    for recorder in started:
        recorder.stop()


class Answers:
    """A resolver answering from a script: each lookup takes the next answer, the last one repeating."""

    def __init__(self, *answers: Sequence[str]) -> None:
        self.answers = list(answers)
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        return list(self.answers[min(len(self.lookups), len(self.answers)) - 1])


async def _endpoint_to(financing: Financing, url: str) -> tuple[str, dict[str, Any]]:
    """A bank and its endpoint for ``url``, which (an invented name) is written past the registration check."""
    bank = await financing.bank()
    endpoint = await financing.endpoint(bank, "http://127.0.0.1:9/placeholder", ["disbursement.recorded"])
    await financing.execute(f"UPDATE webhook_endpoints SET url = '{url}' WHERE id = '{endpoint['id']}'")
    return bank, endpoint


async def _emit(financing: Financing, bank: str) -> None:
    outbox = financing.app.state.outbox
    async with financing.app.state.database.sessionmaker() as session, session.begin():
        await outbox.emit(session, EventType.disbursement_recorded, {"bank": bank})


async def _dispatch(financing: Financing, resolver: netguard.Resolver, **overrides: Any) -> None:
    """One round of a dispatcher of the app's database that resolves names with ``resolver``."""
    settings = financing.app.state.settings.model_copy(update=overrides)
    database = Database(settings.database_url)
    dispatcher = Dispatcher(
        database=database, tables=OUTBOX, settings=settings, hooks=EndpointHooks(settings), resolver=resolver
    )
    try:
        await dispatcher.run_once()
    finally:
        await dispatcher.aclose()
        await database.dispose()


async def _attempts(financing: Financing, bank: str, endpoint_id: str) -> list[dict[str, Any]]:
    response = await financing.client.get(
        f"/v1/webhook-endpoints/{endpoint_id}/deliveries", headers=auth("bank", bank=bank)
    )
    assert response.status_code == 200, response.text
    return [attempt for delivery in response.json()["items"] for attempt in delivery["attempts"]]


async def test_a_rebinding_name_is_connected_to_at_the_address_checked(
    financing_factory: Callable[..., Any], recorders: Callable[..., Recorder]
) -> None:
    port = processes.free_port()
    checked = recorders("127.0.0.1", port)
    rebound = recorders("127.0.0.2", port)
    answers = Answers(["127.0.0.1"], ["127.0.0.2"])
    async with financing_factory() as financing:
        bank, endpoint = await _endpoint_to(financing, f"http://bank-a.test:{port}/hook")
        await _emit(financing, bank)
        await _dispatch(financing, answers, webhook_allow_private=True)
        [attempt] = await _attempts(financing, bank, endpoint["id"])
    assert attempt["status_code"] == 204
    assert answers.lookups == ["bank-a.test"]
    assert checked.received() == [{"host": f"bank-a.test:{port}", "server": "127.0.0.1"}]
    assert rebound.received() == []


async def test_a_name_that_rebinds_to_an_internal_address_never_reaches_it(
    financing_factory: Callable[..., Any], recorders: Callable[..., Recorder]
) -> None:
    port = processes.free_port()
    internal = recorders("127.0.0.1", port)
    # A public answer for the check, then the internal one for whoever asks again.
    answers = Answers(["93.184.216.34"], ["127.0.0.1"])
    async with financing_factory() as financing:
        bank, endpoint = await _endpoint_to(financing, f"http://rebind.test:{port}/hook")
        await _emit(financing, bank)
        await _dispatch(financing, answers, webhook_allow_private=False)
        [attempt] = await _attempts(financing, bank, endpoint["id"])
        assert attempt["status_code"] is None
        assert attempt["error"] in ("could not connect", "connecting timed out")
        assert answers.lookups == ["rebind.test"]
        # The next attempt's lookup answers the internal address: refused before any connection.
        await financing.execute("UPDATE outbox_deliveries SET next_attempt_at = created_at")
        await _dispatch(financing, answers, webhook_allow_private=False)
        attempts = await _attempts(financing, bank, endpoint["id"])
    assert attempts[-1]["error"] == f"destination refused: {netguard.REFUSED}"
    assert internal.received() == []


async def test_tls_is_verified_for_the_name_not_the_address(
    financing_factory: Callable[..., Any],
    recorders: Callable[..., Recorder],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    authority = trustme.CA()
    certificate = authority.issue_cert("bank-tls.test")
    cert, key, ca = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    certificate.cert_chain_pems[0].write_to_path(str(cert))
    certificate.private_key_pem.write_to_path(str(key))
    authority.cert_pem.write_to_path(str(ca))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    port = processes.free_port()
    receiver = recorders("127.0.0.1", port, cert=str(cert), key=str(key))
    async with financing_factory() as financing:
        bank, named = await _endpoint_to(financing, f"https://bank-tls.test:{port}/hook")
        other_bank, by_address = await _endpoint_to(financing, f"https://127.0.0.1:{port}/hook")
        await _emit(financing, bank)
        await _emit(financing, other_bank)
        await _dispatch(financing, Answers(["127.0.0.1"]), webhook_allow_private=True)
        [to_name] = await _attempts(financing, bank, named["id"])
        [to_address] = await _attempts(financing, other_bank, by_address["id"])
    assert to_name["status_code"] == 204
    # The certificate names bank-tls.test only: the same server reached by its address fails verification.
    assert to_address["status_code"] is None and to_address["error"] == "could not connect"
    assert receiver.received() == [{"host": f"bank-tls.test:{port}", "server": "127.0.0.1"}]


async def test_a_bank_never_sees_what_its_destination_answered(
    financing_factory: Callable[..., Any], recorders: Callable[..., Recorder]
) -> None:
    secret_page = "root:x:0:0 internal-admin-token=5f2b9c"
    port, target_port = processes.free_port(), processes.free_port()
    page = recorders("127.0.0.1", port, status=500, body=secret_page)
    redirect = recorders("127.0.0.2", port, status=302, location=f"http://127.0.0.1:{target_port}/hook")
    target = recorders("127.0.0.1", target_port)
    async with financing_factory() as financing:
        bank, endpoint = await _endpoint_to(financing, f"http://127.0.0.1:{port}/hook")
        redirected_bank, redirected = await _endpoint_to(financing, f"http://127.0.0.2:{port}/hook")
        await _emit(financing, bank)
        await _emit(financing, redirected_bank)
        await _dispatch(financing, netguard.resolve, webhook_allow_private=True)
        listing = await financing.client.get(
            f"/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=auth("bank", bank=bank)
        )
        [answered] = await _attempts(financing, bank, endpoint["id"])
        [moved] = await _attempts(financing, redirected_bank, redirected["id"])
        stored = await financing.rows("SELECT response_excerpt, error FROM outbox_attempts")
    assert len(page.received()) == 1 and len(redirect.received()) == 1
    assert answered["status_code"] == 500 and answered["error"] is None
    assert "internal-admin-token" not in listing.text and "root:x" not in listing.text
    assert moved["status_code"] == 302 and moved["error"] == "redirects are not followed"
    assert target.received() == []
    assert all(row.response_excerpt is None and "token" not in (row.error or "") for row in stored)

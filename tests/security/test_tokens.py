"""Tokens an attacker or a careless identity provider might present: every one is a 401 problem, never a 500,
and the ones a deployment should accept are accepted. RS256 verification is exercised with real keys."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import time
from typing import Any

import jwt
import pytest
from pydantic import ValidationError

from services.common.auth import TokenPolicy, decode_token
from services.common.settings import DEV_EVENTS_SECRET, DEV_JWT_SECRET, DEV_SERVICE_TOKEN_SECRET, ServiceSettings
from tests.security.conftest import KeyPair, Service, ServiceFactory, _key_pair
from tests.support import factories
from tests.support.processes import REPO

SERVICE_SECRET = "service-secret-for-the-rs256-tests-0123456789"


def _claims(role: str = "city_admin", ttl: int = 600, **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": "tester", "role": role, "iat": now, "exp": now + ttl, **extra}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _hs256(claims: dict[str, Any], secret: str = DEV_JWT_SECRET) -> dict[str, str]:
    return _bearer(jwt.encode(claims, secret, algorithm="HS256"))


def _rs256(claims: dict[str, Any], keys: KeyPair) -> dict[str, str]:
    return _bearer(jwt.encode(claims, keys.private, algorithm="RS256"))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _hs256_raw(claims: dict[str, Any], secret: str = DEV_JWT_SECRET) -> dict[str, str]:
    """HS256 over any JSON object, even claims PyJWT would refuse to encode."""
    signing_input = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + _b64(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return _bearer(f"{signing_input}.{_b64(signature)}")


def _hmac_with_public_key(claims: dict[str, Any], public_pem: str) -> dict[str, str]:
    """The algorithm-confusion token: HS256 keyed with the public key's text, which anyone can read."""
    return _hs256_raw(claims, public_pem)


def _unsigned(claims: dict[str, Any]) -> dict[str, str]:
    return _bearer(_b64(b'{"alg":"none","typ":"JWT"}') + "." + _b64(json.dumps(claims).encode()) + ".")


def _assert_unauthorized(response: Any) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["type"] == "urn:handover:problem:unauthorized"


GARBLED_CLAIMS = {
    "list-district": _claims("district_officer", district=["990101", "990102"]),
    "object-district": _claims("district_officer", district={"code": "990101"}),
    "number-district": _claims("district_officer", district=990101),
    "list-bank": _claims("bank", bank=["ICBC"]),
    "nul-bank": _claims("bank", bank="ICBC\u0000"),
    "list-role": _claims(role=["city_admin"]),
    "no-role": _claims(role=None),
    "list-sub": {**_claims(), "sub": ["a"]},
    "nul-sub": {**_claims(), "sub": "a\u0000b"},
    "long-sub": {**_claims(), "sub": "x" * 201},
    "string-exp": {**_claims(), "exp": str(int(time.time()) + 60)},
    "string-iat": {**_claims(), "iat": "now"},
    "infinite-exp": {**_claims(), "exp": float("inf")},
}


async def test_claims_that_are_not_plain_strings_are_401_and_change_nothing(
    registry: Service, financing: Service
) -> None:
    for name, claims in GARBLED_CLAIMS.items():
        headers = _hs256_raw(claims)
        for response in (
            await registry.client.get("/v1/projects", headers=headers),
            await registry.client.post("/v1/developers", json=factories.developer(), headers=headers),
            await financing.client.get("/v1/credit-lines", headers=headers),
            await financing.client.post("/v1/banks", json={"code": "EVIL", "name": "x"}, headers=headers),
        ):
            assert response.status_code == 401, (name, response.text)
            _assert_unauthorized(response)
    assert await registry.count("developers") == 0
    assert await financing.count("banks") == 0


async def test_issuer_and_audience_when_configured(start_registry: ServiceFactory) -> None:
    async with start_registry(jwt_issuer="https://idp.city.example", jwt_audience="handover") as registry:

        async def status(**claims: Any) -> int:
            return (await registry.client.get("/v1/districts", headers=_hs256_raw(_claims(**claims)))).status_code

        assert await status(iss="https://idp.city.example", aud="handover") == 200
        assert await status(iss="https://idp.city.example", aud=["other", "handover"]) == 200
        assert await status(aud="handover") == 401
        assert await status(iss="https://idp.city.example") == 401
        assert await status(iss="https://evil.example", aud="handover") == 401
        assert await status(iss="https://idp.city.example", aud="other") == 401
        assert await status(iss=["https://idp.city.example"], aud="handover") == 401


async def test_without_issuer_or_audience_settings_neither_is_checked(registry: Service) -> None:
    response = await registry.client.get("/v1/districts", headers=_hs256(_claims(iss="anyone", aud="anything")))
    assert response.status_code == 200


async def test_a_token_may_not_live_longer_than_the_maximum(start_registry: ServiceFactory) -> None:
    async with start_registry(jwt_max_lifetime_seconds=3600) as registry:
        now = int(time.time())

        async def status(claims: dict[str, Any]) -> int:
            return (await registry.client.get("/v1/districts", headers=_hs256(claims))).status_code

        assert await status({"sub": "a", "role": "viewer", "iat": now - 10, "exp": now - 10 + 3600}) == 200
        assert await status({"sub": "a", "role": "viewer", "iat": now - 10, "exp": now - 10 + 3601}) == 401
        # Without iat the time left counts: a token good for another two hours is refused.
        assert await status({"sub": "a", "role": "viewer", "exp": now + 7200}) == 401
        assert await status({"sub": "a", "role": "viewer", "exp": now + 1800}) == 200
        # Backdating iat does not stretch the window: exp - iat is what is bounded.
        assert await status({"sub": "a", "role": "viewer", "iat": now - 7000, "exp": now + 600}) == 401


@pytest.fixture
async def rs256_registry(start_registry: ServiceFactory, idp_keys: KeyPair) -> Any:
    async with start_registry(jwt_public_key=idp_keys.public, service_token_secret=SERVICE_SECRET) as registry:
        yield registry


async def test_rs256_accepts_the_identity_providers_tokens_only(
    rs256_registry: Service, idp_keys: KeyPair, attacker_keys: KeyPair
) -> None:
    """The RS256 guard: remove the signature check and the forged tokens below are let in."""
    client = rs256_registry.client

    async def status(headers: dict[str, str]) -> int:
        response = await client.get("/v1/districts", headers=headers)
        if response.status_code != 200:
            _assert_unauthorized(response)
        return response.status_code

    assert await status(_rs256(_claims(), idp_keys)) == 200
    assert await status(_rs256(_claims("district_officer", district="990101"), idp_keys)) == 200
    assert await status(_rs256(_claims(), attacker_keys)) == 401
    tampered = _rs256(_claims("viewer"), idp_keys)["Authorization"].split(".")
    tampered[1] = _b64(json.dumps(_claims("city_admin")).encode())
    assert await status({"Authorization": ".".join(tampered)}) == 401
    assert await status(_hs256(_claims())) == 401, "the development HS256 secret means nothing in RS256 mode"
    assert await status(_hmac_with_public_key(_claims(), idp_keys.public)) == 401
    assert await status(_unsigned(_claims())) == 401
    assert await status(_bearer(jwt.encode(_claims(), idp_keys.private, algorithm="RS512"))) == 401
    assert await status(_rs256(_claims(ttl=-30), idp_keys)) == 401


async def test_rs256_mode_takes_service_tokens_signed_with_the_service_secret_for_the_service_role_only(
    rs256_registry: Service,
) -> None:
    client = rs256_registry.client
    service = await client.post(
        "/v1/risk-facts/query", json={"all": True}, headers=_hs256(_claims("service"), SERVICE_SECRET)
    )
    assert service.status_code == 200, service.text
    for role, extra in (("city_admin", {}), ("viewer", {}), ("bank", {"bank": "ICBC"})):
        _assert_unauthorized(await client.get("/v1/districts", headers=_hs256(_claims(role, **extra), SERVICE_SECRET)))
    _assert_unauthorized(await client.get("/v1/districts", headers=_hs256(_claims("service"), DEV_JWT_SECRET)))


async def test_hs256_mode_refuses_rs256_tokens(registry: Service, idp_keys: KeyPair) -> None:
    _assert_unauthorized(await registry.client.get("/v1/districts", headers=_rs256(_claims(), idp_keys)))


def test_decoding_is_refused_for_garbage_without_raising_anything_else(idp_keys: KeyPair) -> None:
    policy = TokenPolicy(secret=DEV_JWT_SECRET, public_key=idp_keys.public, service_secret=SERVICE_SECRET)
    for token in ("", "a.b", "a.b.c", "...", "eyJhbGciOiJIUzI1NiJ9.e30.", "\u0000", "x" * 5000):
        with pytest.raises(Exception) as raised:
            decode_token(token, policy)
        assert getattr(raised.value, "status", None) == 401, token


def test_production_settings_in_rs256_mode(idp_keys: KeyPair) -> None:
    strong_events = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    production = {"environment": "production", "events_secret": strong_events}
    with pytest.raises(ValidationError, match="HANDOVER_SERVICE_TOKEN_SECRET"):
        ServiceSettings(**production, jwt_public_key=idp_keys.public)
    with pytest.raises(ValidationError, match="HANDOVER_SERVICE_TOKEN_SECRET"):
        ServiceSettings(**production, jwt_public_key=idp_keys.public, service_token_secret="short")
    with pytest.raises(ValidationError, match="HANDOVER_EVENTS_SECRET"):
        ServiceSettings(
            environment="production",
            events_secret=DEV_EVENTS_SECRET,
            jwt_public_key=idp_keys.public,
            service_token_secret=SERVICE_SECRET,
        )
    # The JWT secret verifies nothing in RS256 mode, so its development value does not stop the start.
    settings = ServiceSettings(**production, jwt_public_key=idp_keys.public, service_token_secret=SERVICE_SECRET)
    assert TokenPolicy.of(settings).service_key == SERVICE_SECRET
    assert TokenPolicy.of(ServiceSettings()).service_key == DEV_JWT_SECRET
    assert ServiceSettings().service_token_secret == DEV_SERVICE_TOKEN_SECRET
    one_line = idp_keys.public.strip().replace("\n", "\\n")
    assert ServiceSettings(jwt_public_key=one_line).jwt_public_key == idp_keys.public.strip()


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("not a key", id="garbage"),
        pytest.param(_key_pair(1024).public, id="rsa-1024"),
        pytest.param(
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n"
            "-----END PUBLIC KEY-----\n",
            id="ed25519",
        ),
    ],
)
def test_a_public_key_that_is_not_a_strong_rsa_key_refuses_to_start(key: str) -> None:
    with pytest.raises(ValidationError, match="HANDOVER_JWT_PUBLIC_KEY"):
        ServiceSettings(jwt_public_key=key)


def _make_token(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HANDOVER_")}
    return subprocess.run(
        ["make", "--no-print-directory", "-s", "token", *args],
        cwd=REPO,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_make_token_in_both_modes(idp_keys: KeyPair, tmp_path: Any) -> None:
    hs256 = _make_token({}, "ROLE=bank", "BANK=ICBC")
    assert hs256.returncode == 0, hs256.stderr
    policy = TokenPolicy.of(ServiceSettings())
    assert decode_token(hs256.stdout.strip(), policy).bank == "ICBC"

    key_file = tmp_path / "idp.pem"
    key_file.write_text(idp_keys.private, encoding="utf-8")
    env = {
        "HANDOVER_JWT_PUBLIC_KEY": idp_keys.public,
        "HANDOVER_SERVICE_TOKEN_SECRET": SERVICE_SECRET,
        "HANDOVER_JWT_ISSUER": "https://idp.city.example",
    }
    rs256_policy = TokenPolicy.of(
        ServiceSettings(
            jwt_public_key=idp_keys.public, service_token_secret=SERVICE_SECRET, jwt_issuer="https://idp.city.example"
        )
    )
    officer = _make_token(env, "ROLE=district_officer", "DISTRICT=990101", f"PRIVATE_KEY={key_file}")
    assert officer.returncode == 0, officer.stderr
    assert jwt.get_unverified_header(officer.stdout.strip())["alg"] == "RS256"
    assert decode_token(officer.stdout.strip(), rs256_policy).district == "990101"
    service = _make_token(env, "ROLE=service")
    assert service.returncode == 0, service.stderr
    assert decode_token(service.stdout.strip(), rs256_policy).role == "service"
    without_key = _make_token(env)
    assert without_key.returncode != 0
    assert "PRIVATE_KEY" in without_key.stderr

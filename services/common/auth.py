"""Bearer JWT authentication and the roles of the contract.

HS256 with ``HANDOVER_JWT_SECRET`` by default. When ``HANDOVER_JWT_PUBLIC_KEY`` holds a PEM RSA public key,
user tokens are RS256, signed by the city's identity provider, and the services sign the tokens they send
each other with HS256 and ``HANDOVER_SERVICE_TOKEN_SECRET``; such a token may only carry the ``service`` role
(docs/adr/0007). The header's ``alg`` picks the key, and each key verifies one algorithm only, so a token
signed with the public key as an HMAC secret verifies against nothing.

Every token must carry ``exp`` and ``sub``, may not live longer than ``HANDOVER_JWT_MAX_LIFETIME_SECONDS``,
and names ``HANDOVER_JWT_ISSUER`` and ``HANDOVER_JWT_AUDIENCE`` when they are set. Its claims are strings.
"""

from __future__ import annotations

import argparse
import math
import re
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jwt
from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.common.problems import ProblemError, forbidden

if TYPE_CHECKING:
    from services.common.settings import ServiceSettings


class Role(StrEnum):
    city_admin = "city_admin"
    district_officer = "district_officer"
    bank = "bank"
    service = "service"
    viewer = "viewer"


USER_ALGORITHM = "RS256"
SHARED_ALGORITHM = "HS256"
SERVICE_TOKEN_TTL_SECONDS = 3600

# Claims end up in audit columns and SQL parameters: printable text of bounded length, codes as the API writes them.
_SUBJECT = re.compile(r"[^\x00-\x1f\x7f]{1,200}")
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,31}")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, from the token's claims."""

    sub: str
    role: Role
    district: str | None = None
    bank: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role in (Role.city_admin, Role.service)


@dataclass(frozen=True, slots=True)
class TokenPolicy:
    """How bearer tokens are verified and how the services mint their own, from the settings."""

    secret: str
    public_key: str | None
    service_secret: str
    issuer: str | None = None
    audience: str | None = None
    max_lifetime_seconds: int = 86_400

    @classmethod
    def of(cls, settings: ServiceSettings) -> TokenPolicy:
        return cls(
            secret=settings.jwt_secret,
            public_key=settings.jwt_public_key,
            service_secret=settings.service_token_secret,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            max_lifetime_seconds=settings.jwt_max_lifetime_seconds,
        )

    @property
    def service_key(self) -> str:
        """The HS256 key of the services' own tokens: the service token secret in RS256 mode, else the JWT secret."""
        return self.service_secret if self.public_key else self.secret


_bearer = HTTPBearer(auto_error=False, description="A JWT with `sub`, `role`, `exp` and `district` or `bank`.")


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, detail, slug="unauthorized", headers={"WWW-Authenticate": 'Bearer realm="handover"'})


def decode_token(token: str, policy: TokenPolicy) -> Principal:
    """Verify a token under ``policy`` and read its claims.

    Raises ProblemError(401) when the token is malformed, signed with a key or algorithm the policy does not
    accept, expired, issued by or for someone else, lives too long, or lacks or garbles a required claim.
    """
    try:
        algorithm = jwt.get_unverified_header(token).get("alg")
    except jwt.PyJWTError as exc:
        raise _unauthorized("The token is not valid.") from exc
    if policy.public_key and algorithm == USER_ALGORITHM:
        key, services_only = policy.public_key, False
    elif algorithm == SHARED_ALGORITHM:
        key, services_only = policy.service_key, policy.public_key is not None
    else:
        raise _unauthorized("The token is not signed with an algorithm this deployment accepts.")
    required = ["exp", "sub", *(["iss"] if policy.issuer else []), *(["aud"] if policy.audience else [])]
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            issuer=policy.issuer,
            audience=policy.audience,
            options={"require": required, "verify_aud": policy.audience is not None},
        )
    except jwt.ExpiredSignatureError as exc:
        raise _unauthorized("The token has expired.") from exc
    except jwt.PyJWTError as exc:
        raise _unauthorized("The token is not valid.") from exc
    _check_lifetime(claims, policy.max_lifetime_seconds)
    principal = _principal(claims)
    if services_only and principal.role is not Role.service:
        raise _unauthorized("Only the services' own tokens are signed with the service secret.")
    return principal


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_lifetime(claims: dict[str, Any], max_seconds: int) -> None:
    expires, issued = claims["exp"], claims.get("iat")
    if not _number(expires) or (issued is not None and not _number(issued)):
        raise _unauthorized("The token's exp and iat must be numbers of seconds.")
    # Without iat, the time left is what a stolen token would still be good for.
    lifetime = expires - (issued if issued is not None else time.time())
    if lifetime > max_seconds:
        raise _unauthorized(f"The token lives longer than the {max_seconds} seconds this deployment allows.")


def _string_claim(claims: dict[str, Any], name: str, pattern: re.Pattern[str]) -> str | None:
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise _unauthorized(f"The token's {name} claim is not a valid string.")
    return value


def _principal(claims: dict[str, Any]) -> Principal:
    sub = _string_claim(claims, "sub", _SUBJECT)
    if sub is None:
        raise _unauthorized("The token names no subject.")
    role_claim = claims.get("role")
    if not isinstance(role_claim, str) or role_claim not in Role.__members__:
        raise _unauthorized("The token names no known role.")
    role = Role(role_claim)
    district = _string_claim(claims, "district", _CODE)
    bank = _string_claim(claims, "bank", _CODE)
    if role is Role.district_officer and not district:
        raise _unauthorized("A district officer's token must carry a district claim.")
    if role is Role.bank and not bank:
        raise _unauthorized("A bank's token must carry a bank claim.")
    return Principal(sub=sub, role=role, district=district, bank=bank)


def issue_token(
    *,
    secret: str,
    sub: str,
    role: Role | str,
    district: str | None = None,
    bank: str | None = None,
    ttl_seconds: int = 8 * 3600,
    issuer: str | None = None,
    audience: str | None = None,
    algorithm: str = SHARED_ALGORITHM,
) -> str:
    """Mint a token (development, tests, and service-to-service calls): HS256 with ``secret``, or RS256 with
    ``secret`` holding a PEM private key."""
    now = int(time.time())
    claims: dict[str, Any] = {"sub": sub, "role": str(role), "iat": now, "exp": now + ttl_seconds}
    if district:
        claims["district"] = district
    if bank:
        claims["bank"] = bank
    if issuer:
        claims["iss"] = issuer
    if audience:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm=algorithm)


def issue_service_token(policy: TokenPolicy, service_name: str) -> str:
    """The token a service sends its peers: role ``service``, signed with the policy's service key."""
    return issue_token(
        secret=policy.service_key,
        sub=f"service:{service_name}",
        role=Role.service,
        ttl_seconds=min(SERVICE_TOKEN_TTL_SECONDS, policy.max_lifetime_seconds),
        issuer=policy.issuer,
        audience=policy.audience,
    )


class _VerifiedTokens:
    """Tokens already verified, so a client's repeated token costs a dict lookup rather than a signature check."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.entries: dict[tuple[TokenPolicy, str], tuple[Principal, float]] = {}

    def get(self, key: tuple[TokenPolicy, str]) -> Principal | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        principal, expires = entry
        if time.time() >= expires:
            del self.entries[key]
            return None
        return principal

    def put(self, key: tuple[TokenPolicy, str], principal: Principal, expires: float) -> None:
        if len(self.entries) >= self.size:
            self.entries.clear()
        self.entries[key] = (principal, expires)


_verified = _VerifiedTokens()


def verified_principal(token: str, policy: TokenPolicy) -> Principal:
    """The caller a bearer token names, its signature checked once and the answer kept until the token expires.

    Raises ProblemError(401) as ``decode_token`` does.
    """
    key = (policy, token)
    principal = _verified.get(key)
    if principal is not None:
        return principal
    principal = decode_token(token, policy)
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    _verified.put(key, principal, float(expires))
    return principal


async def authenticate(request: Request) -> Principal:
    """FastAPI dependency: the caller, or 401."""
    credentials: HTTPAuthorizationCredentials | None = await _bearer(request)
    if credentials is None:
        raise _unauthorized("A bearer token is required.")
    return verified_principal(credentials.credentials, request.app.state.token_policy)


def require_roles(*roles: Role) -> Callable[[Request], Coroutine[Any, Any, Principal]]:
    """A dependency admitting only ``roles``; others get 403 (the resource itself is not revealed)."""
    allowed = frozenset(roles)

    async def dependency(request: Request) -> Principal:
        principal = await authenticate(request)
        if principal.role not in allowed:
            raise forbidden("Your role may not do this.")
        return principal

    # Read by whatever answers the route's requests without running its dependencies (the fast lane, ADR 17),
    # which must admit exactly these roles.
    dependency.admits = allowed  # type: ignore[attr-defined]
    return dependency


def main(argv: list[str] | None = None) -> None:
    """``python -m services.common.auth --role district_officer --district 330102``: print a development token.

    Signed as the deployment's settings expect: HS256 with ``HANDOVER_JWT_SECRET``; in RS256 mode, RS256 with the
    private key given by ``--private-key`` (the identity provider's role), and a ``service`` token with the
    service token secret. Exits with an error when RS256 mode has no private key or ``--ttl`` is too long.
    """
    from services.common.settings import ServiceSettings

    parser = argparse.ArgumentParser(description="Print a development bearer token.")
    parser.add_argument("--role", default="city_admin", choices=[r.value for r in Role])
    parser.add_argument("--sub", default="dev-user")
    parser.add_argument("--district")
    parser.add_argument("--bank")
    parser.add_argument("--ttl", type=int, default=8 * 3600)
    parser.add_argument("--private-key", type=Path, help="PEM RSA private key, for RS256 mode")
    args = parser.parse_args(argv)
    policy = TokenPolicy.of(ServiceSettings())
    if args.ttl > policy.max_lifetime_seconds:
        parser.error(f"--ttl is longer than HANDOVER_JWT_MAX_LIFETIME_SECONDS ({policy.max_lifetime_seconds})")
    secret, algorithm = policy.secret, SHARED_ALGORITHM
    if args.role == Role.service:
        secret = policy.service_key
    elif policy.public_key:
        if args.private_key is None:
            parser.error("HANDOVER_JWT_PUBLIC_KEY is set: give its private key (make token PRIVATE_KEY=key.pem)")
        secret, algorithm = args.private_key.read_text(encoding="utf-8"), USER_ALGORITHM
    token = issue_token(
        secret=secret,
        sub=args.sub,
        role=args.role,
        district=args.district,
        bank=args.bank,
        ttl_seconds=args.ttl,
        issuer=policy.issuer,
        audience=policy.audience,
        algorithm=algorithm,
    )
    print(token)


if __name__ == "__main__":
    main()

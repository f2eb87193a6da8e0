"""Bearer JWT authentication and the roles of the contract.

HS256 with ``HANDOVER_JWT_SECRET`` by default; when ``HANDOVER_JWT_PUBLIC_KEY`` holds a PEM public key, RS256
tokens signed by the matching private key are accepted instead.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jwt
from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.common.problems import ProblemError


class Role(StrEnum):
    city_admin = "city_admin"
    district_officer = "district_officer"
    bank = "bank"
    service = "service"
    viewer = "viewer"


WRITERS = frozenset({Role.city_admin, Role.district_officer, Role.service})


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


_bearer = HTTPBearer(auto_error=False, description="A JWT with `sub`, `role`, `exp` and `district` or `bank`.")


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, detail, slug="unauthorized", headers={"WWW-Authenticate": 'Bearer realm="handover"'})


def decode_token(token: str, *, secret: str, public_key: str | None = None) -> Principal:
    """Verify a token and read its claims.

    Raises ProblemError(401) when the token is malformed, badly signed, expired or lacks required claims.
    """
    try:
        if public_key:
            claims = jwt.decode(token, public_key, algorithms=["RS256"], options={"require": ["exp", "sub"]})
        else:
            claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError as exc:
        raise _unauthorized("The token has expired.") from exc
    except jwt.PyJWTError as exc:
        raise _unauthorized("The token is not valid.") from exc
    try:
        role = Role(str(claims.get("role")))
    except ValueError as exc:
        raise _unauthorized("The token names no known role.") from exc
    district = claims.get("district")
    bank = claims.get("bank")
    if role is Role.district_officer and not district:
        raise _unauthorized("A district officer's token must carry a district claim.")
    if role is Role.bank and not bank:
        raise _unauthorized("A bank's token must carry a bank claim.")
    return Principal(sub=str(claims["sub"]), role=role, district=district, bank=bank)


def issue_token(
    *,
    secret: str,
    sub: str,
    role: Role | str,
    district: str | None = None,
    bank: str | None = None,
    ttl_seconds: int = 8 * 3600,
) -> str:
    """Mint an HS256 token (development, tests, and service-to-service calls)."""
    claims: dict[str, Any] = {"sub": sub, "role": str(role), "exp": int(time.time()) + ttl_seconds}
    if district:
        claims["district"] = district
    if bank:
        claims["bank"] = bank
    return jwt.encode(claims, secret, algorithm="HS256")


class _VerifiedTokens:
    """Tokens already verified, so a client's repeated token costs a dict lookup rather than an HMAC."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.entries: dict[tuple[str, str], tuple[Principal, float]] = {}

    def get(self, key: tuple[str, str]) -> Principal | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        principal, expires = entry
        if time.time() >= expires:
            del self.entries[key]
            return None
        return principal

    def put(self, key: tuple[str, str], principal: Principal, expires: float) -> None:
        if len(self.entries) >= self.size:
            self.entries.clear()
        self.entries[key] = (principal, expires)


_verified = _VerifiedTokens()


async def authenticate(request: Request) -> Principal:
    """FastAPI dependency: the caller, or 401."""
    credentials: HTTPAuthorizationCredentials | None = await _bearer(request)
    if credentials is None:
        raise _unauthorized("A bearer token is required.")
    settings = request.app.state.settings
    key_material = settings.jwt_public_key or settings.jwt_secret
    key = (key_material, credentials.credentials)
    principal = _verified.get(key)
    if principal is not None:
        return principal
    principal = decode_token(credentials.credentials, secret=settings.jwt_secret, public_key=settings.jwt_public_key)
    expires = jwt.decode(credentials.credentials, options={"verify_signature": False})["exp"]
    _verified.put(key, principal, float(expires))
    return principal


def require_roles(*roles: Role) -> Callable[[Request], Coroutine[Any, Any, Principal]]:
    """A dependency admitting only ``roles``; others get 403 (the resource itself is not revealed)."""
    allowed = frozenset(roles)

    async def dependency(request: Request) -> Principal:
        principal = await authenticate(request)
        if principal.role not in allowed:
            raise ProblemError(403, "Your role may not do this.", slug="forbidden")
        return principal

    return dependency


def main(argv: list[str] | None = None) -> None:
    """``python -m services.common.auth --role district_officer --district 330102``: print a dev token."""
    from services.common.settings import ServiceSettings

    parser = argparse.ArgumentParser(description="Print a development bearer token.")
    parser.add_argument("--role", default="city_admin", choices=[r.value for r in Role])
    parser.add_argument("--sub", default="dev-user")
    parser.add_argument("--district")
    parser.add_argument("--bank")
    parser.add_argument("--ttl", type=int, default=8 * 3600)
    args = parser.parse_args(argv)
    settings = ServiceSettings()
    print(
        issue_token(
            secret=settings.jwt_secret,
            sub=args.sub,
            role=args.role,
            district=args.district,
            bank=args.bank,
            ttl_seconds=args.ttl,
        )
    )


if __name__ == "__main__":
    main()

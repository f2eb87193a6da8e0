"""Running a service app in-process for tests, with its lifespan, behind an httpx client."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import httpx
from fastapi import FastAPI

from services.common.auth import Role, issue_token
from services.common.settings import DEV_JWT_SECRET


def token(
    role: Role | str = Role.city_admin, *, sub: str = "tester", secret: str = DEV_JWT_SECRET, **claims: Any
) -> str:
    return issue_token(secret=secret, sub=sub, role=role, **claims)


def auth(role: Role | str = Role.city_admin, **claims: Any) -> dict[str, str]:
    """Headers carrying a valid token for ``role``."""
    return {"Authorization": f"Bearer {token(role, **claims)}"}


class LazyAuth(Mapping[str, str]):
    """Headers whose token is minted when a request reads them, not when the module is imported: a test run at
    a faked instant (``HANDOVER_TEST_INSTANT``) would otherwise send a token from another day."""

    def __init__(self, role: Role | str = Role.city_admin, **claims: Any) -> None:
        self.role, self.claims = role, claims

    def __getitem__(self, key: str) -> str:
        return auth(self.role, **self.claims)[key]

    def __iter__(self) -> Iterator[str]:
        return iter(["Authorization"])

    def __len__(self) -> int:
        return 1


def expect(response: httpx.Response, status: int) -> httpx.Response:
    """``response``, after checking it has ``status`` (a set-up step that silently failed spoils the test)."""
    assert response.status_code == status, (response.request.method, response.request.url.path, response.text)
    return response


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Start the app's lifespan and give a client talking to it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client

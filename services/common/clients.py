"""HTTP clients for talking to peer services: explicit timeouts, a service token, the request id forwarded."""

from __future__ import annotations

import time

import httpx

from services.common.auth import Role, issue_token
from services.common.context import current_request_id
from services.common.settings import ServiceSettings


class ServiceToken:
    """A ``service``-role token, re-minted before it expires."""

    def __init__(self, settings: ServiceSettings, ttl_seconds: int = 3600) -> None:
        self.settings = settings
        self.ttl = ttl_seconds
        self._token = ""
        self._expires = 0.0

    def get(self) -> str:
        if time.time() > self._expires - 60:
            self._token = issue_token(
                secret=self.settings.jwt_secret,
                sub=f"service:{self.settings.service_name}",
                role=Role.service,
                ttl_seconds=self.ttl,
            )
            self._expires = time.time() + self.ttl
        return self._token


def peer_client(
    base_url: str, settings: ServiceSettings, *, token: ServiceToken | None = None, timeout: float | None = None
) -> httpx.AsyncClient:
    """One ``httpx.AsyncClient`` per peer, created in the lifespan and closed with it."""
    token = token or ServiceToken(settings)

    async def add_context(request: httpx.Request) -> None:
        request_id = current_request_id()
        if request_id and "x-request-id" not in request.headers:
            request.headers["x-request-id"] = request_id
        request.headers["authorization"] = f"Bearer {token.get()}"

    seconds = timeout if timeout is not None else settings.peer_timeout_seconds
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(seconds, connect=min(seconds, 2.0)),
        event_hooks={"request": [add_context]},
    )

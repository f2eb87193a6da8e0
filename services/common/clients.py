"""HTTP clients for talking to peer services: explicit timeouts, a service token, the request id forwarded."""

from __future__ import annotations

import time

import httpx
import jwt

from services.common.auth import TokenPolicy, issue_service_token
from services.common.context import current_request_id
from services.common.settings import ServiceSettings


class ServiceToken:
    """A ``service``-role token, signed as the peers verify it (``TokenPolicy.service_key``) and re-minted
    before it expires."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.policy = TokenPolicy.of(settings)
        self.service_name = settings.service_name
        self._token = ""
        self._expires = 0.0

    def get(self) -> str:
        if time.time() > self._expires - 60:
            self._token = issue_service_token(self.policy, self.service_name)
            self._expires = float(jwt.decode(self._token, options={"verify_signature": False})["exp"])
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

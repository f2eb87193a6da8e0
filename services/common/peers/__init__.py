"""Typed clients of the services, one module per peer (their respx test doubles are in ``tests/support/peers.py``).

A client wraps one ``httpx.AsyncClient`` from ``services.common.clients.peer_client`` (created in the caller's
lifespan) and raises ``PeerUnavailable`` when the peer cannot answer: connection errors, timeouts and 5xx.
An answer that refuses the request (4xx) or does not have the documented shape raises ``PeerContractError``.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson


class PeerUnavailable(Exception):
    """The peer could not be reached, timed out or answered with a server error; try again later."""

    def __init__(self, peer: str, reason: str) -> None:
        super().__init__(f"{peer} is unavailable: {reason}")
        self.peer = peer
        self.reason = reason


class PeerContractError(Exception):
    """The peer answered, but refused the request (4xx) or answered with a shape its client does not know."""

    def __init__(self, peer: str, reason: str) -> None:
        super().__init__(f"{peer} answered unexpectedly: {reason}")
        self.peer = peer
        self.reason = reason


async def post_json(http: httpx.AsyncClient, peer: str, path: str, payload: Any) -> bytes:
    """POST ``payload`` as JSON and return the body of a 2xx answer.

    Raises PeerUnavailable on connection errors, timeouts and 5xx answers, PeerContractError on any other
    non-2xx answer.
    """
    request = http.build_request(
        "POST", path, content=orjson.dumps(payload), headers={"content-type": "application/json"}
    )
    return await _send(http, peer, path, request)


async def get_json(http: httpx.AsyncClient, peer: str, path: str, params: dict[str, str]) -> bytes:
    """GET ``path`` as JSON and return the body of a 2xx answer; raises as ``post_json`` does."""
    request = http.build_request("GET", path, params=params, headers={"accept": "application/json"})
    return await _send(http, peer, path, request)


async def _send(http: httpx.AsyncClient, peer: str, path: str, request: httpx.Request) -> bytes:
    try:
        response = await http.send(request)
    except httpx.TransportError as exc:
        raise PeerUnavailable(peer, f"{type(exc).__name__}: {exc}") from exc
    if response.status_code >= 500:
        raise PeerUnavailable(peer, f"{path} answered {response.status_code}")
    if not response.is_success:
        raise PeerContractError(peer, f"{path} answered {response.status_code}: {response.text[:200]}")
    return response.content

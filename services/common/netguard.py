"""Where webhooks may go: only to public addresses, and only to the address that was checked.

A bank registers its own webhook URLs, and the dispatcher runs inside the city's network, next to metadata
services and internal systems. So a destination is refused unless every address its host resolves to is
globally routable (``is_public``), and the dispatcher's connections go through ``GuardedBackend``, which
resolves the host once, checks every answer and connects to a checked address: a name that answers a public
address to the check and an internal one a moment later (DNS rebinding) never gets a second lookup. TLS is
started by httpcore on that connection with the URL's host name, so SNI and certificate verification stay
with the name and the ``Host`` header is the URL's own.

URLs: http or https only, no user name or password, and the port is the scheme's default or an unprivileged
one (1024-65535): the well-known ports below 1024 belong to other protocols (mail, SSH, directory services)
that a crafted POST could talk to, and a bank's receiver listens on 443, 80 or a port of its own above 1023.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Sequence

import httpcore
import httpx

from services.common.asyncio_net import AsyncioBackend

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
LOWEST_OTHER_PORT = 1024

# Not global by any reading, whatever a Python version's ``is_global`` says of them.
_SHARED_ADDRESS_SPACE = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT; some clouds' metadata
_IETF_PROTOCOL_ASSIGNMENTS = ipaddress.IPv4Network("192.0.0.0/24")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated (RFC 4291); :: and ::1 live here too
_LOCAL_USE_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215: a network's own translator
_WELL_KNOWN_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the IPv4 address is the last 32 bits

REFUSED = "the host must resolve, and only to public addresses"


class DestinationRefused(ValueError):
    """The URL may not receive webhooks."""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address stands for: IPv4-mapped, 6to4, Teredo (server and client), NAT64."""
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in _WELL_KNOWN_NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def is_public(ip: IPAddress) -> bool:
    """Whether a webhook may be sent to ``ip``: globally routable (``is_global``), not multicast, outside
    carrier-grade NAT (100.64.0.0/10) and 192.0.0.0/24, not a deprecated IPv4-compatible or site-local IPv6
    address, not a local-use NAT64 address, and every IPv4 address it embeds public too."""
    if not ip.is_global or ip.is_multicast:
        return False
    if isinstance(ip, ipaddress.IPv4Address):
        return ip not in _SHARED_ADDRESS_SPACE and ip not in _IETF_PROTOCOL_ASSIGNMENTS
    if ip.is_site_local or ip in _IPV4_COMPATIBLE or ip in _LOCAL_USE_NAT64:
        return False
    return all(is_public(embedded) for embedded in _embedded_ipv4(ip))


def check_url(url: str, *, any_port: bool = False) -> httpx.URL:
    """The URL as the HTTP client will read it. Raises DestinationRefused when it is not absolute http(s), has
    no host, carries a user name or password, or (unless ``any_port``) names a port other than the scheme's
    default and 1024-65535."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise DestinationRefused("the URL is malformed") from exc
    if parsed.scheme not in SCHEMES:
        raise DestinationRefused("the URL must be http or https")
    if not parsed.host:
        raise DestinationRefused("the URL must name a host")
    if parsed.userinfo:
        raise DestinationRefused("the URL must not carry a user name or password")
    port = parsed.port
    if any_port or port is None or port == DEFAULT_PORTS[parsed.scheme]:
        return parsed
    if not LOWEST_OTHER_PORT <= port <= 65535:
        raise DestinationRefused(f"the port must be {DEFAULT_PORTS[parsed.scheme]} or from 1024 to 65535")
    return parsed


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to, in the resolver's order (an IP literal is its own answer)."""
    if _literal(host) is not None:
        return [host.strip("[]")]
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def checked_addresses(host: str, port: int, *, allow_private: bool, resolver: Resolver = resolve) -> list[str]:
    """Resolve ``host`` once and return its addresses. Raises DestinationRefused when it does not resolve or,
    unless ``allow_private``, when any of its addresses is not public (one internal answer refuses them all)."""
    try:
        addresses = list(await resolver(host, port))
    except (OSError, UnicodeError) as exc:
        raise DestinationRefused(REFUSED) from exc
    parsed = [_literal(a.split("%", 1)[0]) for a in addresses]
    if not addresses or any(ip is None for ip in parsed):
        raise DestinationRefused(REFUSED)
    if not allow_private and not all(is_public(ip) for ip in parsed if ip is not None):
        raise DestinationRefused(REFUSED)
    return addresses


async def check_destination(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> None:
    """Raise DestinationRefused unless ``url`` may receive webhooks (see ``check_url`` and ``checked_addresses``;
    ``allow_private`` allows any port too, for tests and local runs).

    The messages never say what an internal name resolves to, nor tell a missing name from an internal one.
    """
    parsed = check_url(url, any_port=allow_private)
    port = parsed.port or DEFAULT_PORTS[parsed.scheme]
    await checked_addresses(parsed.host, port, allow_private=allow_private, resolver=resolver)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend for webhook deliveries: every new connection resolves its host once, is
    refused (DestinationRefused) unless the answers pass ``checked_addresses``, and connects to a checked address
    (the next one when a connection fails). Unix sockets are refused."""

    def __init__(self, *, allow_private: bool, resolver: Resolver = resolve) -> None:
        self._allow_private = allow_private
        self._resolver = resolver
        self._network = AsyncioBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await checked_addresses(
                    host, port, allow_private=self._allow_private, resolver=self._resolver
                )
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout("resolving the host timed out") from exc
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._network.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # checked_addresses never answers an empty list
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise DestinationRefused("webhooks are sent over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self._network.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """An httpx transport whose connections all go through a ``GuardedBackend``. Proxies are never used (a proxy
    would resolve the name itself), nor HTTP/2."""

    def __init__(self, backend: GuardedBackend, *, limits: httpx.Limits, ssl_context: ssl.SSLContext) -> None:
        super().__init__(verify=ssl_context, limits=limits)
        # httpx 0.28 takes no network backend, so its pool is replaced by the same pool built with ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )

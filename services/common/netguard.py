"""Refuses webhook destinations that resolve to private, loopback or otherwise internal addresses."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


class DestinationRefused(ValueError):
    """The URL may not receive webhooks."""


def _is_internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None and _is_internal(str(ip.ipv4_mapped)))
    )


async def check_destination(url: str, *, allow_private: bool) -> None:
    """Raise DestinationRefused unless ``url`` is an http(s) URL whose host resolves only to public addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DestinationRefused("the URL must be absolute http or https")
    if parts.username or parts.password:
        raise DestinationRefused("the URL must not carry credentials")
    if allow_private:
        return
    host = parts.hostname
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise DestinationRefused(f"the host {host} does not resolve") from exc
    addresses = {info[4][0] for info in infos}
    if not addresses or any(_is_internal(str(a)) for a in addresses):
        raise DestinationRefused(f"the host {host} resolves to a private or loopback address")

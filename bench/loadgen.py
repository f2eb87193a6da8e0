"""A small closed-loop HTTP/1.1 load generator on raw asyncio streams (keep-alive, bounded in time).

Loopback only: every target is a server this benchmark started itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class Result:
    requests: int
    seconds: float
    errors: int
    statuses: dict[int, int]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _request_bytes(host: str, method: str, target: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def run(
    url: str,
    targets: Sequence[str],
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    bodies: Sequence[bytes] | None = None,
    connections: int = 16,
    seconds: float = 5.0,
    warmup: float = 1.0,
) -> Result:
    """Send requests to ``targets`` (cycled) over ``connections`` keep-alive connections for ``seconds``."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    payloads = [
        _request_bytes(f"{host}:{port}", method, t, headers or {}, (bodies[i % len(bodies)] if bodies else b""))
        for i, t in enumerate(targets)
    ]
    counted = 0
    errors = 0
    statuses: dict[int, int] = {}
    measuring = False
    stop_at = time.monotonic() + warmup + seconds

    async def worker(offset: int) -> None:
        nonlocal counted, errors
        reader, writer = await asyncio.open_connection(host, port)
        index = offset
        try:
            while time.monotonic() < stop_at:
                writer.write(payloads[index % len(payloads)])
                index += connections
                status = await _read_response(reader)
                if measuring:
                    counted += 1
                    statuses[status] = statuses.get(status, 0) + 1
                    if status >= 400:
                        errors += 1
        finally:
            writer.close()

    tasks = [asyncio.create_task(worker(i)) for i in range(connections)]
    await asyncio.sleep(warmup)
    measuring = True
    started = time.monotonic()
    await asyncio.gather(*tasks)
    return Result(counted, time.monotonic() - started, errors, statuses)

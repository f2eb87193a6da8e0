"""The dispatcher's network backend (services/common/asyncio_net.py): what httpcore's pool relies on."""

from __future__ import annotations

import asyncio

import httpcore
import pytest

from services.common.asyncio_net import AsyncioBackend


@pytest.fixture
async def server():
    """A TCP server that answers ``pong`` to ``ping`` and closes the connection on ``bye``."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            if line == b"bye\n":
                break
            if line == b"ping\n":
                writer.write(b"pong\n")
                await writer.drain()
        writer.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    yield srv.sockets[0].getsockname()[1]
    srv.close()
    await srv.wait_closed()


async def test_a_connection_reads_what_it_is_sent_and_is_idle_until_closed(server: int) -> None:
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", server, timeout=3)
    await stream.write(b"ping\n", timeout=3)
    assert await stream.read(64, timeout=3) == b"pong\n"
    assert stream.get_extra_info("is_readable") is False
    assert stream.get_extra_info("server_addr")[1] == server

    await stream.write(b"bye\n", timeout=3)
    for _ in range(100):
        if stream.get_extra_info("is_readable"):
            break
        await asyncio.sleep(0.01)
    assert stream.get_extra_info("is_readable") is True  # the pool drops it instead of reusing it
    assert await stream.read(64, timeout=3) == b""
    await stream.aclose()


async def test_a_silent_server_times_the_read_out(server: int) -> None:
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", server, timeout=3)
    with pytest.raises(httpcore.ReadTimeout):
        await stream.read(64, timeout=0.05)
    await stream.aclose()


async def test_nothing_listening_is_a_connect_error(unused_tcp_port: int) -> None:
    with pytest.raises(httpcore.ConnectError):
        await AsyncioBackend().connect_tcp("127.0.0.1", unused_tcp_port, timeout=3)


async def test_unix_sockets_are_refused() -> None:
    with pytest.raises(httpcore.ConnectError):
        await AsyncioBackend().connect_unix_socket("/tmp/anything.sock")

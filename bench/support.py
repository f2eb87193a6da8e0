"""Helpers shared by the benchmarks: PostgreSQL databases and server processes."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def server_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG


async def connect(url: str, database: str | None = None) -> asyncpg.Connection:
    parsed = make_url(url)
    return await asyncpg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        database=database or parsed.database,
    )


async def recreate_database(name: str) -> str:
    """Drop and create ``name`` on the benchmark server; return its SQLAlchemy URL."""
    server = server_url()
    connection = await connect(server)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve(args: list[str], env: dict[str, str], url: str, ready: str, cwd: Path = REPO) -> Iterator[str]:
    """Run a server process (from the code in ``cwd``) until the block ends; yield its base URL once ``ready``
    answers."""
    log = open(REPO / "bench" / "results" / f"server-{url.rsplit(':', 1)[-1]}.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(args, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT, cwd=cwd)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{args} exited early")
            try:
                if httpx.get(url + ready, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"{args} never became ready")
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def hello_server() -> contextlib.AbstractContextManager[str]:
    """The baseline server: bench/hello.py under uvicorn with the services' settings."""
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.hello:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    return serve(args, {}, f"http://127.0.0.1:{port}", "/hello")

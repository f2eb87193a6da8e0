"""Real processes for tests: services and receivers started with uvicorn on free loopback ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Process:
    """A child process with its log file; stopped with SIGTERM (or killed) when the test ends."""

    def __init__(self, args: Sequence[str], env: dict[str, str], log_path: Path, url: str) -> None:
        self.args = list(args)
        self.env = env
        self.log_path = log_path
        self.url = url
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self, ready_path: str = "/livez", timeout: float = 120) -> Process:
        handle = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it while it runs
        self.popen = subprocess.Popen(self.args, env=self.env, stdout=handle, stderr=subprocess.STDOUT, cwd=REPO)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.args} exited early:\n{self.log()}")
            try:
                if httpx.get(self.url + ready_path, timeout=1).status_code < 500:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        # Not ready in time: stop it, or it outlives the test run.
        self.kill()
        raise RuntimeError(f"{self.args} did not become ready:\n{self.log()}")

    def stop(self) -> None:
        if self.popen and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)

    def kill(self) -> None:
        if self.popen and self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(5)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""


def receiver(tmp_path: Path, secrets: Sequence[str], plan: Sequence[int] = (), port: int | None = None) -> Process:
    """Start the example bank receiver (``services.examples.bank_receiver``)."""
    port = port or free_port()
    args = [sys.executable, "-m", "services.examples.bank_receiver", "--port", str(port)]
    for secret in secrets:
        args += ["--secret", secret]
    if plan:
        args += ["--plan", ",".join(str(s) for s in plan)]
    process = Process(args, dict(os.environ), tmp_path / f"receiver-{port}.log", f"http://127.0.0.1:{port}")
    return process.start(ready_path="/received")


def service(name: str, tmp_path: Path, env: dict[str, str], port: int | None = None) -> Process:
    """Start ``python -m services.<name>`` with ``env`` added to the environment."""
    port = port or free_port()
    prefix = name.upper()
    full_env = {**os.environ, f"{prefix}_PORT": str(port), **env}
    process = Process(
        [sys.executable, "-m", f"services.{name}"],
        full_env,
        tmp_path / f"{name}-{port}.log",
        f"http://127.0.0.1:{port}",
    )
    return process


def quiet_service(name: str, workdir: Path, port: int | None = None, **env: str) -> Process:
    """Start ``services.<name>`` on a fresh SQLite file with no dispatcher and no subscribers (for fuzzing)."""
    prefix = name.upper()
    base = {
        f"{prefix}_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / f'{name}.db'}",
        f"{prefix}_RUN_DISPATCHER": "false",
        f"{prefix}_SUBSCRIBERS": "[]",
    }
    return service(name, workdir, {**base, **env}, port=port).start(ready_path="/readyz")

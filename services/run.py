"""``make run``: migrate and start every service (with its dispatcher) on SQLite, print where to go.

Ctrl-C stops them all; the data stays in ./var/ for the next run. The services are started first: what takes
seconds to import here (the services' settings, the demo loader, the token helpers, which bring in FastAPI and
SQLAlchemy) is imported after, while the services start.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import httpx

from services.catalog import SERVICES
from services.local_logs import log_file

if TYPE_CHECKING:
    from services.common.settings import ServiceSettings


def _wait_ready(urls: dict[str, str], processes: dict[str, subprocess.Popen[bytes]], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    pending = dict(urls)
    while pending and time.monotonic() < deadline:
        for name, url in list(pending.items()):
            if processes[name].poll() is not None:
                raise SystemExit(
                    f"{name} exited with status {processes[name].returncode}; see its log, var/logs/{name}.log"
                )
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    del pending[name]
            except httpx.HTTPError:
                pass
        time.sleep(0.3)
    if pending:
        raise SystemExit(f"not ready after {timeout:.0f}s: {', '.join(pending)}")


def _token_note(settings: ServiceSettings) -> str:
    """A development token to print, or in RS256 mode (no signing key here) how to get one."""
    from services.common.auth import Role, issue_token

    if settings.jwt_public_key:
        return "\nTokens are RS256: make token PRIVATE_KEY=<the key matching HANDOVER_JWT_PUBLIC_KEY>\n"
    ttl = min(12 * 3600, settings.jwt_max_lifetime_seconds)
    token = issue_token(
        secret=settings.jwt_secret,
        sub="dev-admin",
        role=Role.city_admin,
        ttl_seconds=ttl,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    return f"\nA city_admin token for {ttl // 60} minutes (make token ROLE=... for others):\n  {token}\n"


def _cors_note(origins: list[str]) -> str:
    """What ``make run`` says about browsers: which origins may call, and how to allow one."""
    if origins:
        return f"Browser scripts from {', '.join(origins)} may call the services (HANDOVER_CORS_ORIGINS).\n"
    return (
        "No browser origin may call the services. For a front end in development, set for example\n"
        """  HANDOVER_CORS_ORIGINS='["http://localhost:5173"]' make run\n"""
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", action="store_true", help="load the demo city once the services are up")
    args = parser.parse_args(argv)
    processes: dict[str, subprocess.Popen[bytes]] = {}
    urls: dict[str, str] = {}
    # A local run talks to receivers on this machine (the demo's example bank), so loopback webhook URLs are
    # allowed unless the environment says otherwise.
    env = {"HANDOVER_WEBHOOK_ALLOW_PRIVATE": "true", **os.environ}
    started = time.monotonic()
    for name in SERVICES:
        processes[name] = subprocess.Popen(
            [sys.executable, "-m", f"services.{name}"], env=env, stdout=log_file(name), stderr=subprocess.STDOUT
        )
    print("Starting registry, risk and financing (migrations, the risk model)...", flush=True)
    extra: list[subprocess.Popen[bytes]] = []
    try:
        from services import demo
        from services.common.settings import ServiceSettings

        for name, entry in SERVICES.items():
            settings = entry.settings()
            urls[name] = f"http://{settings.host}:{settings.port}"
        _wait_ready(urls, processes)
        print(f"  ready in {time.monotonic() - started:.1f} s", flush=True)
        if args.demo:
            receiver = asyncio.run(
                demo.run(
                    urls["registry"], urls["financing"], seed=7, projects=200, receiver_port=9100, risk=urls["risk"]
                )
            )
            extra += [receiver] if receiver is not None else []
        print("\nHandover is running:", flush=True)
        for name, url in urls.items():
            print(f"  {name:<10} {url}/docs   (OpenAPI: {url}/openapi.json)")
        shared = ServiceSettings()
        print(_token_note(shared))
        print(_cors_note(shared.cors_origins))
        print("Each service logs to var/logs/<service>.log (e.g. tail -f var/logs/registry.log).")
        print("Ctrl-C stops everything; the data stays in ./var/.", flush=True)
        while all(p.poll() is None for p in processes.values()):
            time.sleep(0.5)
        stopped = [n for n, p in processes.items() if p.poll() is not None]
        print(f"{', '.join(stopped)} stopped; stopping the rest.", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        for process in [*processes.values(), *extra]:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in [*processes.values(), *extra]:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()

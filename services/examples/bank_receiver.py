"""An example bank liaison receiver: verifies every webhook with ``standardwebhooks`` and logs what it got.

``python -m services.examples.bank_receiver --port 9100 --secret whsec_...`` (several ``--secret`` during a
rotation). ``--plan 500,500,410`` answers the first requests with those statuses, then 200, which the tests
use to exercise retries. ``GET /received`` lists the verified deliveries; the JSON-lines ``--log`` keeps them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections import deque
from typing import Any

import uvicorn
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

log = logging.getLogger("bank_receiver")


def _append(path: str, entry: dict[str, Any]) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False) + "\n")


def create_receiver(secrets: list[str], plan: list[int] | None = None, log_path: str | None = None) -> Starlette:
    """A Starlette app that accepts only deliveries signed by one of ``secrets``."""
    verifiers = [Webhook(s) for s in secrets]
    statuses = deque(plan or [])
    received: list[dict[str, Any]] = []
    seen: set[str] = set()

    async def webhook(request: Request) -> Response:
        body = await request.body()
        headers = dict(request.headers)
        payload = None
        verified_with = None
        for index, verifier in enumerate(verifiers):
            try:
                payload = verifier.verify(body, headers)
            except WebhookVerificationError:
                continue
            verified_with = index
            break
        if payload is None:
            log.warning("refused a delivery whose signature does not verify")
            return JSONResponse({"error": "bad signature"}, status_code=401)
        status = statuses.popleft() if statuses else 200
        webhook_id = headers.get("webhook-id", "")
        entry = {
            "webhook_id": webhook_id,
            "type": payload.get("type"),
            "data": payload.get("data"),
            "request_id": headers.get("x-request-id"),
            "answered": status,
            "secret_index": verified_with,
            "duplicate": webhook_id in seen,
        }
        received.append(entry)
        if status < 300:
            seen.add(webhook_id)
        if log_path:
            await asyncio.to_thread(_append, log_path, entry)
        log.info("%s %s -> %s", entry["type"], webhook_id, status)
        return JSONResponse({"ok": status < 300}, status_code=status)

    async def list_received(request: Request) -> Response:
        return JSONResponse(received)

    return Starlette(
        routes=[Route("/webhooks", webhook, methods=["POST"]), Route("/received", list_received, methods=["GET"])]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--secret", action="append", required=True)
    parser.add_argument("--plan", default="", help="comma-separated statuses to answer first, e.g. 500,500")
    parser.add_argument("--log", default=None, help="append verified deliveries to this JSON-lines file")
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s bank-receiver %(message)s")
    plan = [int(s) for s in args.plan.split(",") if s.strip()]
    uvicorn.run(create_receiver(args.secret, plan, args.log), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()

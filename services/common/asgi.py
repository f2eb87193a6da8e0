"""One pure ASGI middleware for what every request needs: request id, body limit, metrics, access log.

Written as raw ASGI (not ``BaseHTTPMiddleware``) because it wraps every request and must stay cheap.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.context import request_id_var
from services.common.problems import problem_response

log = logging.getLogger("handover.access")

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_UNMATCHED = "<unmatched>"


class HttpMetrics:
    """Request counts and latency histograms, labelled by route template (bounded), never by raw path."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests served.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time to serve an HTTP request.",
            ["method", "route"],
            registry=registry,
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )


class BodyTooLarge(StarletteHTTPException):
    """Raised while reading a body past the limit; FastAPI re-raises it and the problem handler answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes.")


class RequestContextMiddleware:
    """Accepts or generates ``X-Request-ID``, echoes it, limits body size, records metrics and logs."""

    def __init__(self, app: ASGIApp, *, metrics: HttpMetrics, max_body_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = None
        content_length = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                candidate = value.decode("latin-1")
                if _VALID_REQUEST_ID.match(candidate):
                    request_id = candidate
            elif name == b"content-length":
                content_length = value
        request_id = request_id or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status_holder = [500]
        header_value = request_id.encode("latin-1")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", header_value))
                message = {**message, "headers": headers}
            await send(message)

        try:
            if content_length is not None and _too_large(content_length, self.max_body_bytes):
                await self._too_large(scope, send_wrapper)
                return
            received = 0
            limit = self.max_body_bytes

            async def receive_limited() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        raise BodyTooLarge(limit)
                return message

            await self.app(scope, receive_limited, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or _UNMATCHED
            method = scope["method"]
            self.metrics.requests.labels(method, template, str(status_holder[0])).inc()
            self.metrics.latency.labels(method, template).observe(elapsed)
            log.info(
                "%s %s %s",
                method,
                scope["path"],
                status_holder[0],
                extra={
                    "request_id": request_id,
                    "method": method,
                    "path": scope["path"],
                    "status": status_holder[0],
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            request_id_var.reset(token)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        response = problem_response(
            413,
            f"The request body is larger than {self.max_body_bytes} bytes.",
            slug="body-too-large",
            instance=scope["path"],
        )
        await response(scope, _empty_receive, send)


def _too_large(content_length: bytes, limit: int) -> bool:
    try:
        return int(content_length) > limit
    except ValueError:
        return False


async def _empty_receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}

"""One pure ASGI middleware for what every request needs: request id, body limit, the NUL guard, the answer to
an unexpected error, metrics and the access log.

Written as raw ASGI (not ``BaseHTTPMiddleware``) because it wraps every request and must stay cheap.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.context import request_id_var
from services.common.db import new_id
from services.common.problems import (
    VALIDATION_TITLE,
    ProblemFieldError,
    internal_error_response,
    problem_response,
)

log = logging.getLogger("handover.access")

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_UNMATCHED = "<unmatched>"
NUL_DETAIL = "Text may not contain the NUL character (U+0000): no database of the services can store it."


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
        # The labelled series of each method, route and status, looked up once: ``labels`` checks and converts
        # its values on every call, which cost more than counting the request.
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def record(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one request and observe how long it took."""
        series = self._series.get((method, route, status))
        if series is None:
            series = self._series[method, route, status] = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
        series[0].inc()
        series[1].observe(seconds)


class RefusedBody(StarletteHTTPException):
    """Raised while reading a body the service refuses; FastAPI re-raises it and the problem handler answers."""

    def __init__(
        self, status: int, detail: str, slug: str, *, title: str | None = None, pointer: str | None = None
    ) -> None:
        super().__init__(status, detail)
        self.slug = slug
        self.title = title
        self.errors = [ProblemFieldError(pointer=pointer, detail=detail)] if pointer else None


def _nul_in_body() -> RefusedBody:
    return RefusedBody(422, NUL_DETAIL, "nul-character", title=VALIDATION_TITLE, pointer="#/body")


def _json_holds_nul(body: bytes) -> bool:
    """A raw NUL, or the escape ``\\u0000``. In a JSON string a run of backslashes is read in pairs from its start,
    so with every pair (an escaped backslash, which is text) taken out, a ``\\u0000`` left is the escape of a NUL."""
    if b"\x00" in body:
        return True
    # Most bodies hold no backslash at all, which one memchr tells; searching them for the escape costs far more
    # (its last character, a digit, is everywhere in a body of numbers).
    return b"\\" in body and b"\\u0000" in body and b"\\u0000" in body.replace(b"\\\\", b"")


def _text_holds_nul(body: bytes) -> bool:
    return b"\x00" in body


def _nul_finder(content_type: bytes | None) -> Callable[[bytes], bool] | None:
    """How a NUL shows in a body of this type: raw in text, raw or escaped in JSON; binary bodies are not read."""
    media = (content_type or b"").split(b";")[0].strip().lower()
    if media == b"application/json" or media.endswith(b"+json"):
        return _json_holds_nul
    if not media or media.startswith(b"text/"):
        return _text_holds_nul
    return None


def _nul_pointer(scope: Scope) -> str | None:
    """Where a NUL is in the path or the query string (percent-encoded, as HTTP carries it), if anywhere."""
    if "\x00" in scope["path"]:
        return "#/path"
    query: bytes = scope["query_string"]
    if b"%00" not in query and b"\x00" not in query:
        return None
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if "\x00" in value and "\x00" not in name:
            return "#/query/" + name.replace("~", "~0").replace("/", "~1")
    return "#/query"


class RequestContextMiddleware:
    """Accepts or generates ``X-Request-ID``, echoes it, limits body size, refuses NUL characters in any text
    input, answers an unexpected error itself (so the 500 carries the request id), records metrics and logs."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: HttpMetrics,
        max_body_bytes: int,
        path_limits: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        # Paths that take bigger (or smaller) bodies than the rest, such as spreadsheet imports.
        self.path_limits = dict(path_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = None
        content_length = None
        content_type = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                candidate = value.decode("latin-1")
                if _VALID_REQUEST_ID.match(candidate):
                    request_id = candidate
            elif name == b"content-length":
                content_length = value
            elif name == b"content-type":
                content_type = value
        # The 32 hex digits of a version 4 UUID, as ``uuid4().hex`` gives them, without building a UUID object.
        request_id = request_id or new_id().replace("-", "")
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status_holder = [500]
        header_value = request_id.encode("latin-1")
        response_started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                status_holder[0] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", header_value))
                message = {**message, "headers": headers}
            await send(message)

        limit = self.path_limits.get(scope["path"], self.max_body_bytes)
        too_large_detail = f"The request body is larger than {limit} bytes."
        try:
            if content_length is not None and _too_large(content_length, limit):
                await self._refuse(scope, send_wrapper, 413, too_large_detail, "body-too-large")
                return
            pointer = _nul_pointer(scope)
            if pointer is not None:
                await self._refuse(
                    scope, send_wrapper, 422, NUL_DETAIL, "nul-character", title=VALIDATION_TITLE, pointer=pointer
                )
                return
            received = 0
            holds_nul = _nul_finder(content_type)
            chunks: list[bytes] = []

            async def receive_checked() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    chunk = message.get("body", b"")
                    received += len(chunk)
                    if received > limit:
                        raise RefusedBody(413, too_large_detail, "body-too-large")
                    if holds_nul is not None:
                        # Searched whole once the last chunk is in, since an escape may straddle two chunks.
                        chunks.append(chunk)
                        if not message.get("more_body", False) and holds_nul(b"".join(chunks)):
                            raise _nul_in_body()
                return message

            try:
                await self.app(scope, receive_checked, send_wrapper)
            except Exception:
                # Starlette's last-resort handler runs outside this middleware, where the request id is gone.
                log.exception("unhandled error", extra={"request_id": request_id, "path": scope["path"]})
                if response_started:
                    raise
                await internal_error_response(scope["path"])(scope, _empty_receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or _UNMATCHED
            method = scope["method"]
            self.metrics.record(method, template, status_holder[0], elapsed)
            if log.isEnabledFor(logging.INFO):
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

    async def _refuse(
        self,
        scope: Scope,
        send: Send,
        status: int,
        detail: str,
        slug: str,
        *,
        title: str | None = None,
        pointer: str | None = None,
    ) -> None:
        errors = [ProblemFieldError(pointer=pointer, detail=detail)] if pointer else None
        response = problem_response(status, detail, slug=slug, title=title, errors=errors, instance=scope["path"])
        await response(scope, _empty_receive, send)


def _too_large(content_length: bytes, limit: int) -> bool:
    try:
        return int(content_length) > limit
    except ValueError:
        return False


async def _empty_receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}

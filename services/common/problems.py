"""RFC 9457 problem details for every error path."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.common.problem_types import TYPE_PREFIX, default_slug

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
VALIDATION_TITLE = "Request failed validation"


class ProblemFieldError(BaseModel):
    """One invalid part of a request."""

    pointer: str = Field(description="JSON Pointer (RFC 6901) into the request, e.g. `#/body/sold_units`.")
    detail: str


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    type: str = Field(description="A URN naming the kind of problem.")
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ProblemFieldError] | None = None


class ProblemError(Exception):
    """Raise to answer with a problem+json response."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str | None = None,
        title: str | None = None,
        errors: Sequence[ProblemFieldError] | None = None,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug or default_slug(status)
        self.title = title or HTTPStatus(status).phrase
        self.errors = list(errors) if errors is not None else None
        self.headers = headers or {}
        # Extension members (RFC 9457 §3.2) added to the body, e.g. an import's counts and row errors.
        self.extensions = extensions


def not_found(what: str = "resource") -> ProblemError:
    """The 404 answered for anything missing or outside the caller's scope."""
    return ProblemError(404, f"No such {what}.", slug="not-found")


def forbidden(detail: str) -> ProblemError:
    """The 403 for a role that may not do this at all (never for something out of scope: that is 404)."""
    return ProblemError(403, detail, slug="forbidden")


def conflict(detail: str, slug: str = "conflict") -> ProblemError:
    return ProblemError(409, detail, slug=slug)


def unprocessable(detail: str, pointer: str, slug: str = "validation-error") -> ProblemError:
    """A semantic validation failure on one field (after the schema accepted it)."""
    return ProblemError(
        422,
        detail,
        slug=slug,
        title=VALIDATION_TITLE,
        errors=[ProblemFieldError(pointer=pointer, detail=detail)],
    )


def problem_response(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    title: str | None = None,
    errors: Iterable[ProblemFieldError] | None = None,
    headers: dict[str, str] | None = None,
    instance: str | None = None,
    extensions: dict[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + (slug or default_slug(status)),
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = [e.model_dump() for e in errors]
    for name, value in (extensions or {}).items():
        body.setdefault(name, value)
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _pointer(loc: Sequence[Any]) -> str:
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in loc]
    return "#/" + "/".join(parts)


async def _problem_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return problem_response(
        exc.status,
        exc.detail,
        slug=exc.slug,
        title=exc.title,
        errors=exc.errors,
        headers=exc.headers,
        instance=request.url.path,
        extensions=exc.extensions,
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem_response(
            400,
            "The request body is not valid JSON.",
            slug="malformed-json",
            title="Malformed request body",
            instance=request.url.path,
        )
    field_errors = [ProblemFieldError(pointer=_pointer(e.get("loc", ())), detail=str(e.get("msg"))) for e in errors]
    return problem_response(
        422,
        f"{len(field_errors)} field(s) failed validation.",
        slug="validation-error",
        title=VALIDATION_TITLE,
        errors=field_errors,
        instance=request.url.path,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        detail = "No such resource." if request.scope.get("route") else f"No route matches {request.url.path}."
    elif exc.status_code == 405:
        detail = f"Method {request.method} is not allowed here."
        # Starlette names only the methods of the first route that matched the path; list them all.
        exc.headers = {**(exc.headers or {}), "Allow": ", ".join(sorted(_allowed_methods(request)))}
    else:
        detail = str(exc.detail)
    # A body refused while it was read (too large, a NUL) carries its own slug, title and field errors.
    return problem_response(
        exc.status_code,
        detail,
        slug=getattr(exc, "slug", None),
        title=getattr(exc, "title", None),
        errors=getattr(exc, "errors", None),
        headers=dict(exc.headers or {}),
        instance=request.url.path,
    )


def _allowed_methods(request: Request) -> set[str]:
    methods: set[str] = set()
    for context in iter_route_contexts(request.app.router.routes):
        regex = getattr(context.route, "path_regex", None)
        if regex is not None and regex.match(request.url.path):
            methods |= set(context.methods or ())
    return methods


def internal_error_response(instance: str) -> Response:
    """The 500 answered for an unexpected error; the detail says nothing of it beyond the request id."""
    return problem_response(
        500,
        "The server met an unexpected condition. The request id identifies it in the logs.",
        slug="internal-error",
        instance=instance,
    )


async def _database_error(request: Request, exc: Exception) -> Response:
    """SQLite's write lock held past its busy timeout (a burst of writes on the embedded database) is a 503 to
    retry, not a fault; any other database error is a 500."""
    if "database is locked" in str(getattr(exc, "orig", exc)):
        log.warning("database busy", extra={"path": request.url.path})
        return problem_response(
            503,
            "The database is busy with other writes: retry in a moment.",
            slug="service-unavailable",
            headers={"Retry-After": "1"},
            instance=request.url.path,
        )
    return await _unhandled(request, exc)


async def _unhandled(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", extra={"path": request.url.path})
    return internal_error_response(request.url.path)


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error the app can produce a problem+json response."""
    app.add_exception_handler(ProblemError, _problem_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OperationalError, _database_error)
    # The request middleware answers unexpected errors itself; this catches only what fails outside it.
    app.add_exception_handler(Exception, _unhandled)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem+json answers for the given statuses."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }

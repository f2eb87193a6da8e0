"""The fast lane: a service's hottest GET routes answered below FastAPI's router and dependency solver (ADR 17).

``FastLane`` is a raw ASGI middleware placed innermost, just inside the request middleware (``asgi.py``): the
request id, the body and NUL checks, metrics, the access log and CORS treat its answers as any other. What it
skips is what a hello-world does not pay: FastAPI's exception middleware, the match over every route, the
dependency solver and the parameter models. A ``Lane`` stands in for one FastAPI route and reads that route's
own declaration: its path pattern, and the type and bounds of each of its path and query parameters.

A GET to the route's path is served by the lane only when it understands the request fully: every query
parameter one the route takes, given once, not empty and plainly valid (a flag is ``true`` or ``false``, a number
is written in plain digits); a bearer token that verifies (through ``auth.verified_principal``, the same cache
the route uses) for one of the route's roles; and an answer from the lane's ``serve``. Anything else, an error
raised before the lane answers included, goes on to FastAPI untouched, so every refusal and every error answer is
the route's own by construction. The routes stay the documentation: the OpenAPI document does not know the lane.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from types import UnionType
from typing import Any, Union, get_args, get_origin
from urllib.parse import parse_qsl

from annotated_types import Ge, Le, MaxLen, MinLen
from fastapi import FastAPI, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security.utils import get_authorization_scheme_param
from prometheus_client import CollectorRegistry, Counter
from starlette.datastructures import State
from starlette.types import ASGIApp, Receive, Scope, Send

from services.common.auth import Principal, Role, verified_principal
from services.common.problems import ProblemError

_FLAGS = {"true": True, "false": False}
_DIGITS = re.compile(r"0|[1-9][0-9]{0,9}")


@dataclass(frozen=True, slots=True)
class LaneRequest:
    """What a lane's ``serve`` is given: the app's state, the caller, and the route's parameters by argument name
    (path and query, defaults filled in), read as the route would have received them."""

    state: State
    principal: Principal
    params: dict[str, Any]


Serve = Callable[[LaneRequest], Awaitable[Response | None]]


@dataclass(frozen=True, slots=True)
class _Param:
    name: str
    read: Callable[[str], Any]
    required: bool
    default: Any


@dataclass(frozen=True, slots=True)
class Lane:
    """One route's fast lane: ``serve`` answers with the route's own response, or None to leave it to the route."""

    route: APIRoute
    roles: frozenset[Role]
    serve: Serve
    path_params: Mapping[str, _Param]
    query_params: Mapping[str, _Param]

    @classmethod
    def of(cls, route: APIRoute, *, roles: frozenset[Role], serve: Serve) -> Lane:
        """A lane for ``route``, which admits ``roles``; raises TypeError for a route whose parameters it cannot
        read exactly as FastAPI would (headers, cookies, a body, or a type or constraint it does not know)."""
        if route.methods != {"GET"}:
            raise TypeError(f"{route.path}: the fast lane serves GET routes only")
        _check_dependencies(route, roles)
        path: dict[str, _Param] = {}
        query: dict[str, _Param] = {}
        for dependant in _dependants(route.dependant):
            if dependant.header_params or dependant.cookie_params or dependant.body_params:
                raise TypeError(f"{route.path}: the fast lane reads path and query parameters only")
            for field in dependant.path_params:
                path[field.alias] = _param(route.path, field)
            for field in dependant.query_params:
                if field.alias in query:
                    raise TypeError(f"{route.path}: {field.alias} is declared twice")
                query[field.alias] = _param(route.path, field)
        return cls(route, roles, serve, path, query)

    def params(self, path_values: Mapping[str, str], query_string: bytes) -> dict[str, Any] | None:
        """The route's parameters from a request, or None when the lane leaves the request to the route.

        Raises ValueError for a value outside the parameter's type or bounds (the route answers it).
        """
        values: dict[str, Any] = {}
        for alias, text in path_values.items():
            param = self.path_params[alias]
            values[param.name] = param.read(self.route.param_convertors[alias].convert(text))
        if query_string:
            for alias, text in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
                known = self.query_params.get(alias)
                if known is None or known.name in values or not text:
                    return None
                values[known.name] = known.read(text)
        for param in self.query_params.values():
            if param.name not in values:
                if param.required:
                    return None
                values[param.name] = param.default
        return values


def _check_dependencies(route: APIRoute, roles: frozenset[Role]) -> None:
    """Raises TypeError unless the lane skips nothing of the route's dependencies but reading parameters: one role
    check (``auth.require_roles``) admitting exactly ``roles``, and otherwise dependencies that only turn path and
    query parameters into values (as ``page_params`` does). A dependency with another effect (a rate limit, an
    audit hook, one reading the request) would be skipped for every request the lane answers."""
    admitted = []
    for dependant in _dependants(route.dependant):
        if dependant is route.dependant:
            continue
        roles_admitted = getattr(dependant.call, "admits", None)
        if roles_admitted is not None:
            admitted.append(roles_admitted)
            continue
        if (
            dependant.dependencies
            or dependant.request_param_name
            or dependant.websocket_param_name
            or dependant.http_connection_param_name
            or dependant.response_param_name
            or dependant.background_tasks_param_name
            or dependant.security_scopes_param_name
            or not (dependant.path_params or dependant.query_params)
        ):
            raise TypeError(f"{route.path}: the fast lane would skip the dependency {dependant.call!r}")
    if admitted != [roles]:
        raise TypeError(f"{route.path}: the route's role checks admit {admitted}, the lane {set(roles)}")


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for dependency in dependant.dependencies:
        yield from _dependants(dependency)


def _param(path: str, field: Any) -> _Param:
    info = field.field_info
    kinds = [kind for kind in _alternatives(info.annotation) if kind is not type(None)]
    bounds: dict[type, Any] = {}
    for constraint in info.metadata:
        if not isinstance(constraint, MinLen | MaxLen | Ge | Le):
            raise TypeError(f"{path}: the fast lane cannot check {field.alias}'s {constraint!r}")
        bounds[type(constraint)] = constraint
    if len(kinds) != 1:
        raise TypeError(f"{path}: the fast lane cannot read {field.alias} of type {info.annotation!r}")
    kind = kinds[0]
    read: Callable[[str], Any]
    if kind is str and not bounds.keys() & {Ge, Le}:
        shortest = bounds[MinLen].min_length if MinLen in bounds else 0
        longest = bounds[MaxLen].max_length if MaxLen in bounds else None
        read = _text(shortest, longest)
    elif kind is int and not bounds.keys() & {MinLen, MaxLen}:
        read = _integer(bounds[Ge].ge if Ge in bounds else None, bounds[Le].le if Le in bounds else None)
    elif kind is bool and not bounds:
        read = _flag
    elif isinstance(kind, type) and issubclass(kind, Enum) and issubclass(kind, str) and not bounds:
        read = kind
    else:
        raise TypeError(f"{path}: the fast lane cannot read {field.alias} of type {info.annotation!r}")
    required = info.is_required()
    return _Param(field.name, read, required, None if required else info.default)


def _alternatives(annotation: Any) -> tuple[Any, ...]:
    return get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,)


def _text(shortest: int, longest: int | None) -> Callable[[str], str]:
    def read(text: str) -> str:
        if len(text) < shortest or (longest is not None and len(text) > longest):
            raise ValueError("out of bounds")
        return text

    return read


def _flag(text: str) -> bool:
    if text not in _FLAGS:
        raise ValueError("neither true nor false")
    return _FLAGS[text]


def _integer(least: int | None, most: int | None) -> Callable[[str], int]:
    def read(text: str) -> int:
        if not _DIGITS.fullmatch(text):
            raise ValueError("not plain digits")
        value = int(text)
        if (least is not None and value < least) or (most is not None and value > most):
            raise ValueError("out of bounds")
        return value

    return read


def bearer_principal(scope: Scope, policy: Any) -> Principal | None:
    """The caller of a request whose ``Authorization`` header FastAPI's ``HTTPBearer`` would accept and whose token
    verifies under ``policy``; None otherwise (the route then answers 401 as it always does)."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, token = get_authorization_scheme_param(value.decode("latin-1"))
            if scheme.lower() != "bearer" or not token:
                return None
            try:
                return verified_principal(token, policy)
            except ProblemError:
                return None
    return None


def _may_take(scope: Scope) -> bool:
    """A GET the lanes may look at: with a root path, or FastAPI's own telemetry watching, the request is the
    router's to match and report."""
    return (
        scope["type"] == "http"
        and scope["method"] == "GET"
        and not scope.get("root_path")
        and scope.get("fastapi.telemetry") is None
    )


class FastLane:
    """The ASGI middleware serving a service's lanes; every other request goes on to FastAPI unchanged."""

    def __init__(self, app: ASGIApp, *, service: FastAPI, lanes: Sequence[Lane], registry: CollectorRegistry) -> None:
        self.app = app
        self.state = service.state
        requests = Counter(
            "http_fast_lane_requests_total",
            "GET requests to the fast lane's routes: answered by the lane (served) or left to FastAPI (passed).",
            ["route", "outcome"],
            registry=registry,
        )
        self.lanes = [
            (lane, requests.labels(lane.route.path, "served"), requests.labels(lane.route.path, "passed"))
            for lane in lanes
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if _may_take(scope):
            for lane, served, passed in self.lanes:
                match = lane.route.path_regex.match(scope["path"])
                if match is None:
                    continue
                response = await self._answer(lane, scope, match.groupdict())
                if response is None:
                    passed.inc()
                    break
                served.inc()
                # What the router would have set: the request middleware labels its metrics with the route's path.
                scope["route"] = lane.route
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _answer(self, lane: Lane, scope: Scope, path_values: dict[str, str]) -> Response | None:
        principal = bearer_principal(scope, self.state.token_policy)
        if principal is None or principal.role not in lane.roles:
            return None
        try:
            params = lane.params(path_values, scope["query_string"])
            if params is None:
                return None
            return await lane.serve(LaneRequest(self.state, principal, params))
        except Exception:
            # Whatever went wrong (a value the route refuses, a cursor it did not make, a database error), the
            # route meets it again and answers it as it always has.
            return None

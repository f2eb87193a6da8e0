"""Unknown query parameters are refused, as unknown body fields are: a misspelt filter must not silently
widen a list."""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from services.common.problems import ProblemError, ProblemFieldError

_ALLOWED: dict[int, frozenset[str]] = {}


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _query_names(dependency)
    return names


def _allowed(route: APIRoute) -> frozenset[str]:
    names = _ALLOWED.get(id(route))
    if names is None:
        names = _ALLOWED[id(route)] = frozenset(_query_names(route.dependant))
    return names


async def known_query_only(request: Request) -> None:
    """A router dependency. Raises ProblemError(422) naming each query parameter the route does not take."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.query_params:
        return
    allowed = _allowed(route)
    unknown = sorted({name for name in request.query_params if name not in allowed})
    if unknown:
        raise ProblemError(
            422,
            f"Unknown query parameter(s): {', '.join(repr(n) for n in unknown)}.",
            slug="validation-error",
            title="Request failed validation",
            errors=[ProblemFieldError(pointer=f"#/query/{name}", detail="unknown query parameter") for name in unknown],
        )

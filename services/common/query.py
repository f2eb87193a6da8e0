"""Query strings are closed: an unknown or repeated parameter is refused, as an unknown body field is, so a
misspelt filter (``?projectid=``) never silently widens a list and ``?status=a&status=b`` never means one."""

from __future__ import annotations

from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from services.common.problems import ProblemError, ProblemFieldError

_ALLOWED: dict[int, tuple[frozenset[str], frozenset[str]]] = {}


def _repeatable(annotation: Any) -> bool:
    """A list, set or tuple (possibly optional or annotated) takes the parameter more than once."""
    origin = get_origin(annotation)
    if origin in (list, set, frozenset, tuple):
        return True
    if origin in (Union, UnionType, Annotated):
        return any(_repeatable(argument) for argument in get_args(annotation))
    return False


def _query_names(dependant: Dependant) -> tuple[set[str], set[str]]:
    names = {param.alias for param in dependant.query_params}
    repeatable = {param.alias for param in dependant.query_params if _repeatable(param.field_info.annotation)}
    for dependency in dependant.dependencies:
        more, more_repeatable = _query_names(dependency)
        names |= more
        repeatable |= more_repeatable
    return names, repeatable


def _allowed(route: APIRoute) -> tuple[frozenset[str], frozenset[str]]:
    known = _ALLOWED.get(id(route))
    if known is None:
        names, repeatable = _query_names(route.dependant)
        known = _ALLOWED[id(route)] = (frozenset(names), frozenset(repeatable))
    return known


async def closed_query(request: Request) -> None:
    """Applied to every service route by ``create_app``.

    Raises ProblemError(422) naming each query parameter the route does not take or that is given twice.
    """
    if not request.scope.get("query_string"):
        return
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    allowed, repeatable = _allowed(route)
    params = request.query_params
    errors = [
        ProblemFieldError(pointer=f"#/query/{name}", detail="unknown query parameter")
        for name in sorted(set(params) - allowed)
    ] + [
        ProblemFieldError(pointer=f"#/query/{name}", detail="given more than once")
        for name in sorted((set(params) & allowed) - repeatable)
        if len(params.getlist(name)) > 1
    ]
    if errors:
        raise ProblemError(
            422,
            f"{len(errors)} query parameter(s) refused: unknown or repeated.",
            slug="validation-error",
            title="Request failed validation",
            errors=errors,
        )

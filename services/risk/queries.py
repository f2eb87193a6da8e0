"""Query strings are closed: a parameter a list does not know answers 422 rather than being ignored, so a
misspelt filter (``?projectid=``) is not silently a list of everything."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from services.common.problems import ProblemError, ProblemFieldError


def only_query(*names: str) -> Callable[[Request], None]:
    """A dependency refusing query parameters other than ``names`` (ProblemError 422, pointer per parameter)."""
    allowed = frozenset(names)

    def dependency(request: Request) -> None:
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise ProblemError(
                422,
                f"Unknown query parameter(s): {', '.join(repr(u) for u in unknown)}.",
                slug="validation-error",
                title="Request failed validation",
                errors=[ProblemFieldError(pointer=f"#/query/{u}", detail="unknown query parameter") for u in unknown],
            )

    return dependency

"""Cursor pagination: ``?limit=`` (default 50, max 500) and an opaque ``?cursor=``."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Query
from pydantic import BaseModel

from services.common.problems import ProblemError, ProblemFieldError

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    next_cursor: str | None


class PageParams(BaseModel):
    limit: int
    cursor: list[Any] | None


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values, default=str)).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    """Raises ProblemError(400) for a cursor this service did not make."""
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, orjson.JSONDecodeError, ValueError) as exc:
        raise _bad_cursor() from exc
    if not isinstance(decoded, list):
        raise _bad_cursor()
    return decoded


def _bad_cursor() -> ProblemError:
    return ProblemError(
        400,
        "The cursor is not one this list returned.",
        slug="invalid-cursor",
        errors=[ProblemFieldError(pointer="#/query/cursor", detail="unknown cursor")],
    )


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=1024, description="`next_cursor` of the previous page.")] = None,
) -> PageParams:
    """FastAPI dependency reading the page parameters (async: a sync dependency would cost a thread hop)."""
    return PageParams(limit=limit, cursor=decode_cursor(cursor) if cursor else None)


def cursor_values(cursor: list[Any], *parsers: Any) -> list[Any]:
    """Parse a decoded cursor's values with one parser each; a cursor of another shape answers 400."""
    if len(cursor) != len(parsers):
        raise _bad_cursor()
    try:
        return [parse(value) for parse, value in zip(parsers, cursor, strict=True)]
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise _bad_cursor() from exc

"""Cursor pagination: ``?limit=`` (default 50, max 500) and an opaque ``?cursor=``.

Every list pages the same way: the repository applies its filters and hands the statement to ``keyset`` with
the list's ``SortKey``s; the endpoint turns the rows read into a ``Page`` with ``page`` (or ``cut``).

A cursor is base64 of a JSON list of the last row's sort keys. A client can send any list, so each value is
read back with one of the four field types below, which accept only what the database can compare with the
column: text without NUL, a 32-bit integer, a day, an instant with its zone.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, TypeVar

import orjson
import sqlalchemy as sa
from fastapi import Query
from pydantic import BaseModel

from services.common.problems import ProblemError, ProblemFieldError

T = TypeVar("T")
R = TypeVar("R")
M = TypeVar("M", bound=BaseModel)

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
    # An empty list is no position in any list, and no cursor this service made.
    if not isinstance(decoded, list) or not decoded:
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


@dataclass(frozen=True, slots=True)
class CursorField:
    """How one sort key is read back from a cursor: ``parse`` raises ValueError for anything else."""

    name: str
    parse: Callable[[Any], Any]


def _text(value: Any) -> str:
    if not isinstance(value, str) or "\x00" in value:
        raise ValueError("not text")
    return value


def _integer(value: Any) -> int:
    # bool is an int to Python, and the integer keys are INTEGER columns: past 32 bits PostgreSQL's driver refuses.
    if type(value) is not int or not -(2**31) <= value < 2**31:
        raise ValueError("not a 32-bit integer")
    return value


def _day(value: Any) -> date:
    if not isinstance(value, str):
        raise ValueError("not a day")
    return date.fromisoformat(value)


def _instant(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("not an instant")
    instant = datetime.fromisoformat(value)
    if instant.tzinfo is None:
        raise ValueError("an instant without a zone")
    return instant.astimezone(UTC)


TEXT = CursorField("text", _text)
INTEGER = CursorField("integer", _integer)
DAY = CursorField("day", _day)
INSTANT = CursorField("instant", _instant)


def cursor_values(cursor: list[Any], *fields: CursorField) -> list[Any]:
    """Read a decoded cursor's values, one field each.

    Raises ProblemError(400) for a cursor of another shape or a value its field does not accept.
    """
    if len(cursor) != len(fields):
        raise _bad_cursor()
    try:
        return [field.parse(value) for field, value in zip(fields, cursor, strict=True)]
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise _bad_cursor() from exc


@dataclass(frozen=True, slots=True)
class SortKey:
    """One column of a list's order: the column, how the cursor holds its value, and its direction."""

    column: Any
    field: CursorField
    descending: bool = True


def keyset(stmt: sa.Select[Any], paging: PageParams, *keys: SortKey) -> sa.Select[Any]:
    """``stmt`` (its filters already applied) ordered by ``keys``, starting after the cursor, one row more than
    the page holds (the extra row says whether a next page exists).

    The last key must be unique (an id), so the order is total and no row is skipped or repeated. Raises
    ProblemError(400) for a cursor this list did not make.
    """
    if paging.cursor:
        stmt = stmt.where(after(keys, cursor_values(paging.cursor, *(key.field for key in keys))))
    return stmt.order_by(*order_by(keys)).limit(paging.limit + 1)


def after(keys: Sequence[SortKey], values: Sequence[Any]) -> sa.ColumnElement[bool]:
    """The rows that come after ``values`` in the order of ``keys`` (values may be bind parameters)."""
    clauses = []
    for index, key in enumerate(keys):
        equal = [earlier.column == value for earlier, value in zip(keys[:index], values, strict=False)]
        beyond = key.column < values[index] if key.descending else key.column > values[index]
        clauses.append(sa.and_(*equal, beyond) if equal else beyond)
    return sa.or_(*clauses) if len(clauses) > 1 else clauses[0]


def order_by(keys: Sequence[SortKey]) -> list[sa.ColumnElement[Any]]:
    return [key.column.desc() if key.descending else key.column.asc() for key in keys]


def by_time(at: Any, key: Any, *, newest_first: bool = True) -> tuple[SortKey, SortKey]:
    """The order of most lists: a timestamp, then the id that breaks its ties."""
    return SortKey(at, INSTANT, newest_first), SortKey(key, TEXT, newest_first)


def _cursor_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def cut(rows: Sequence[R], paging: PageParams, position: Callable[[R], Sequence[Any]]) -> tuple[list[R], str | None]:
    """The page's rows out of what ``keyset`` read, and the cursor of the next page (None on the last).

    ``position`` gives a row's sort key values, in the order of the keys given to ``keyset``.
    """
    items = list(rows[: paging.limit])
    if len(rows) <= paging.limit:
        return items, None
    return items, encode_cursor([_cursor_value(value) for value in position(items[-1])])


def page(rows: Sequence[Any], paging: PageParams, position: Callable[[Any], Sequence[Any]], schema: type[M]) -> Page[M]:
    """``cut``, each row shown through ``schema`` (the list's ``...Read`` model)."""
    items, next_cursor = cut(rows, paging, position)
    return Page[schema](items=[schema.model_validate(row) for row in items], next_cursor=next_cursor)  # type: ignore[valid-type]

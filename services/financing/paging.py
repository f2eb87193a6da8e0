"""Keyset pages over ``(created_at, id)``, the order of every financing list."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import QueryableAttribute

from services.common.pagination import INSTANT, TEXT, PageParams, cursor_values, encode_cursor

Row = TypeVar("Row")


def keyset(
    stmt: sa.Select[Any],
    at: sa.ColumnElement[datetime] | QueryableAttribute[datetime],
    key: sa.ColumnElement[str] | QueryableAttribute[str],
    paging: PageParams,
    *,
    newest_first: bool = True,
) -> sa.Select[Any]:
    """``stmt`` ordered by ``(at, key)``, starting after the cursor, one row more than the page holds.

    Raises ProblemError(400) for a cursor of another list.
    """
    if paging.cursor:
        after_at, after_key = cursor_values(paging.cursor, INSTANT, TEXT)
        if newest_first:
            stmt = stmt.where(sa.or_(at < after_at, sa.and_(at == after_at, key < after_key)))
        else:
            stmt = stmt.where(sa.or_(at > after_at, sa.and_(at == after_at, key > after_key)))
    order = (at.desc(), key.desc()) if newest_first else (at.asc(), key.asc())
    return stmt.order_by(*order).limit(paging.limit + 1)


def cut(
    rows: Sequence[Row], paging: PageParams, position: Callable[[Row], tuple[datetime, str]]
) -> tuple[list[Row], str | None]:
    """The page's rows and the cursor of the next page (None on the last)."""
    items = list(rows[: paging.limit])
    if len(rows) <= paging.limit:
        return items, None
    at, key = position(items[-1])
    return items, encode_cursor([at.isoformat(), key])

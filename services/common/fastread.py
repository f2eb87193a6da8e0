"""Hot read paths that skip the ORM: asyncpg directly on PostgreSQL, the SQLAlchemy engine on SQLite.

Statements are still written with SQLAlchemy Core; on PostgreSQL each is compiled once to asyncpg's ``$n``
form and run as a prepared statement on a small asyncpg pool, which costs a fraction of an ORM round trip.
Used only for reads that need no transaction (a single statement sees a consistent snapshot anyway).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import asyncpg
import orjson
import sqlalchemy as sa
from fastapi.responses import Response
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ClauseElement, ColumnElement
from sqlalchemy.types import TypeDecorator

from services.common.db import Database
from services.common.pagination import PageParams, cut

_DIALECT = asyncpg_dialect(paramstyle="numeric_dollar")
_JSON_OPTIONS = orjson.OPT_UTC_Z


def _json_default(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"cannot serialize {type(value).__name__}")


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_json_default, option=_JSON_OPTIONS)


def json_response(payload: Any, *, headers: Mapping[str, str] | None = None) -> Response:
    """Serialize rows read on the fast path straight to JSON: decimals as strings, UTC times with ``Z``.

    The rows come from our own database through statements that select exactly the fields of the
    endpoint's ``...Read`` schema, so they are not validated a second time.
    """
    return Response(
        payload if isinstance(payload, bytes) else _dumps(payload),
        media_type="application/json",
        headers=dict(headers) if headers else None,
    )


def json_page(rows: list[bytes], paging: PageParams, position: Callable[[dict[str, Any]], Sequence[Any]]) -> Response:
    """``{"items": [...], "next_cursor": ...}`` spliced from rows ``fetch_json`` read (one more than the page
    when a next page exists), as ``pagination.page`` answers for ORM rows; only the last row is decoded, for
    ``position`` to give its sort key values."""
    items, next_cursor = cut(rows, paging, lambda row: position(orjson.loads(row)))
    return json_response(b'{"items":[' + b",".join(items) + b'],"next_cursor":' + orjson.dumps(next_cursor) + b"}")


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Release without asyncpg's reset round trip: these connections only ever run single read statements,
    which leave no session state (locks, listeners, settings) behind."""


class _Compiled:
    __slots__ = ("names", "sql")

    def __init__(self, statement: ClauseElement) -> None:
        compiled = statement.compile(dialect=_DIALECT)
        self.sql = str(compiled)
        self.names = list(compiled.positiontup or [])  # type: ignore[attr-defined]


class FastReader:
    """Runs read-only Core statements with as little overhead as the backend allows."""

    def __init__(self, database: Database, *, pool_size: int = 10) -> None:
        self.database = database
        self.pool_size = pool_size
        self.pool: asyncpg.Pool | None = None
        self._compiled: dict[Hashable, _Compiled] = {}

    async def open(self) -> None:
        if self.database.is_sqlite:
            return
        url = make_url(self.database.url)
        self.pool = await asyncpg.create_pool(
            host=url.host,
            port=url.port or 5432,
            user=url.username,
            password=url.password,
            database=url.database,
            min_size=1,
            max_size=self.pool_size,
            reset=_keep_session,
            # These statements read a page of rows by index from tables PostgreSQL holds in memory. With the
            # default random_page_cost (4, a spinning disk's) the project list scanned the code index and filtered
            # some 600 rows for a page of 50 in one district and status, rather than read the 51 its
            # (district, status, code, id) index holds in order: a quarter more of PostgreSQL's CPU per page.
            server_settings={"random_page_cost": "1.1"},
        )

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()

    def _compile(self, statement: ClauseElement, key: Hashable) -> _Compiled:
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = _Compiled(statement)
        return compiled

    async def fetch_all(
        self, statement: ClauseElement, params: Mapping[str, Any], *, shape: Hashable | None = None
    ) -> list[dict[str, Any]]:
        """All rows of ``statement``, whose values all come as named bind parameters in ``params``.

        A statement built once at import is compiled once; one built per request must pass ``shape``, a key
        that is equal exactly when two built statements have the same SQL.
        """
        if self.pool is None:
            async with self.database.engine.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                result = await connection.execute(statement, dict(params))  # type: ignore[call-overload]
                return [dict(row) for row in result.mappings()]
        compiled = self._compile(statement, shape if shape is not None else id(statement))
        async with self.pool.acquire() as connection:
            rows = await connection.fetch(compiled.sql, *[params[n] for n in compiled.names])
        return [dict(row) for row in rows]

    async def fetch_json(
        self,
        statement: sa.Select[Any],
        params: Mapping[str, Any],
        *,
        shape: Hashable | None = None,
        stored: ColumnElement[Any] | None = None,
    ) -> list[bytes]:
        """Each row of ``statement`` as a JSON object, in the statement's order.

        On PostgreSQL the database writes the JSON (``row_to_json`` over the statement, whose columns come from
        ``json_columns``), so Python neither decodes nor re-encodes a value; elsewhere orjson writes it. Given
        ``stored``, a column holding each row's JSON text exactly as ``row_to_json`` would write it (kept by a
        trigger, ADR 20), PostgreSQL sends that column instead of writing the JSON again.
        """
        if self.pool is None:
            return [_dumps(row) for row in await self.fetch_all(statement, params)]
        key = ("json", shape if shape is not None else id(statement))
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = _Compiled(_json_statement(statement, stored))
        async with self.pool.acquire() as connection:
            rows = await connection.fetch(compiled.sql, *[params[n] for n in compiled.names])
        return [row[0] for row in rows]


def _json_statement(statement: sa.Select[Any], stored: ColumnElement[Any] | None) -> sa.Select[Any]:
    """``statement`` selecting each row's JSON as UTF-8 bytea, which asyncpg hands over as bytes (no decoding
    51 strings to encode them again)."""
    utf8: sa.ColumnElement[str] = sa.literal_column("'UTF8'")
    if stored is not None:
        # The same filters, order and limit; only the selected columns change.
        return statement.with_only_columns(sa.func.convert_to(stored, utf8))
    # A plain projection of an ordered, limited subquery keeps the subquery's order.
    json_text = sa.cast(sa.func.row_to_json(sa.literal_column("fast_rows")), sa.Text)
    return sa.select(sa.func.convert_to(json_text, utf8)).select_from(statement.subquery("fast_rows"))


class _AsJsonText(ColumnElement[Any]):
    """A column read as the JSON text it should show, computed by PostgreSQL; elsewhere the column itself.

    On PostgreSQL, decoding NUMERIC into ``Decimal`` and timestamps into ``datetime`` only to print them again
    costs more than the query; the fast path asks the database for the text instead.
    """

    inherit_cache = True

    def __init__(self, column: ColumnElement[Any], kind: str) -> None:
        self.column = column
        self.kind = kind
        self.type = column.type
        self.key = column.key


@compiles(_AsJsonText)
def _as_json_text_default(element: _AsJsonText, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.column, **kw))


@compiles(_AsJsonText, "postgresql")
def _as_json_text_postgresql(element: _AsJsonText, compiler: Any, **kw: Any) -> str:
    inner = compiler.process(element.column, **kw)
    if element.kind == "timestamp":
        return f"""to_char({inner} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
    if element.kind == "date":
        return f"to_char({inner}, 'YYYY-MM-DD')"
    return f"CAST({inner} AS TEXT)"


def json_columns(columns: Sequence[Any]) -> list[Any]:
    """``columns`` for a fast-path select: decimals, dates and timestamps come back as their JSON text on
    PostgreSQL, labelled with their own names."""
    out: list[Any] = []
    for column in columns:
        kind = _json_text_kind(column.type)
        out.append(_AsJsonText(column, kind).label(column.key) if kind else column)
    return out


def _json_text_kind(column_type: Any) -> str | None:
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    if isinstance(column_type, sa.Numeric) and not isinstance(column_type, sa.Float):
        return "decimal"
    if isinstance(column_type, sa.DateTime):
        return "timestamp"
    if isinstance(column_type, sa.Date):
        return "date"
    return None

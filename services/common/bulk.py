"""Bulk writes of thousands of rows in the caller's transaction: one COPY or one set-based statement on
PostgreSQL, one executemany on SQLite.

SQLAlchemy's executemany renders and binds every row through the ORM's type machinery, which costs more than
the database's own work once a statement carries thousands of rows (a whole-portfolio reassessment writes
50,000 assessments, state rows, events and deliveries). On PostgreSQL these functions hand the rows to asyncpg
as they are: ``insert_rows`` streams them with ``COPY ... FROM STDIN`` (binary), ``update_rows`` sends each
column as one array and updates ``FROM unnest(...)``. The values are the ones SQLAlchemy would have bound:
aware datetimes in UTC, ``JSON`` columns as JSON text (``str`` enum members are strings already). Constraints,
indexes and triggers apply as for any INSERT or UPDATE, but SQLAlchemy's Python-side column defaults do not: a
row gives every column (a nullable one it leaves out is NULL).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db import UTCDateTime

# Below this many rows a plain executemany is as quick as COPY, which first asks the server for the column types.
COPY_MIN_ROWS = 100


def is_postgresql(session: AsyncSession) -> bool:
    bind = session.get_bind()
    return bind.dialect.name == "postgresql"


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(UTC)


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _converter(column: sa.Column[Any]) -> Callable[[Any], Any] | None:
    """How a Python value becomes what asyncpg sends for this column (what the column type would bind); None
    when asyncpg takes the value as it is."""
    if isinstance(column.type, UTCDateTime):
        return _utc
    if isinstance(column.type, sa.JSON):
        return _json
    return None


def _values(table: sa.Table, rows: Sequence[Mapping[str, Any]], columns: Sequence[sa.Column[Any]]) -> list[list[Any]]:
    """The rows as lists of column values, in ``columns`` order."""
    names = [column.key for column in columns]
    every = set(names)
    if len(names) > 1 and all(every <= row.keys() for row in rows):
        # Every row gives every column (the usual case): one C-level getter per row, no check per column.
        get = operator.itemgetter(*names)
        records = [list(get(row)) for row in rows]
    else:
        missing = [c.key for c in columns if not c.nullable and any(c.key not in row for row in rows)]
        if missing:
            raise KeyError(f"rows for {table.name} lack {missing}")
        records = [[row.get(name) for name in names] for row in rows]
    for at, column in enumerate(columns):
        convert = _converter(column)
        if convert is not None:
            for record in records:
                record[at] = convert(record[at])
    return records


async def _driver(session: AsyncSession) -> Any:
    """The session's asyncpg connection, inside the session's transaction."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    if not driver.is_in_transaction():
        # The adapter begins its transaction with its first statement: make sure ours runs inside it.
        await connection.execute(sa.text("SELECT 1"))
    return driver


async def insert_rows(session: AsyncSession, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts by column key) into ``table``: COPY on PostgreSQL from ``COPY_MIN_ROWS`` rows on,
    an executemany otherwise."""
    if not rows:
        return
    if len(rows) < COPY_MIN_ROWS or not is_postgresql(session):
        await session.execute(sa.insert(table), list(rows))
        return
    columns = list(table.columns)
    records = _values(table, rows, columns)
    driver = await _driver(session)
    await driver.copy_records_to_table(
        table.name, records=records, columns=[c.name for c in columns], schema_name=table.schema
    )


async def update_rows(session: AsyncSession, table: sa.Table, rows: Sequence[Mapping[str, Any]], *, key: str) -> None:
    """On PostgreSQL, update ``table`` rows found by the column ``key`` to the other columns each row gives (all
    rows give the same columns) with one ``UPDATE ... FROM unnest(...)``. SQLite callers keep their executemany
    (an ORM bulk update by primary key)."""
    if not rows:
        return
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    dialect = postgresql.dialect()
    casts = [f"${i}::{c.type.compile(dialect=dialect)}[]" for i, c in enumerate(columns, start=1)]
    quoted = [dialect.identifier_preparer.quote(c.name) for c in columns]
    assignments = ", ".join(f"{q} = v.{q}" for c, q in zip(columns, quoted, strict=True) if c.key != key)
    target = dialect.identifier_preparer.format_table(table)
    key_name = dialect.identifier_preparer.quote(table.c[key].name)
    statement = (
        f"UPDATE {target} AS t SET {assignments} "
        f"FROM unnest({', '.join(casts)}) AS v({', '.join(quoted)}) WHERE t.{key_name} = v.{key_name}"
    )
    records = _values(table, rows, columns)
    arrays = [list(column) for column in zip(*records, strict=True)]
    driver = await _driver(session)
    await driver.execute(statement, *arrays)

"""Hot read paths that skip the ORM: asyncpg directly on PostgreSQL, the SQLAlchemy engine on SQLite.

Statements are still written with SQLAlchemy Core; on PostgreSQL each is compiled once to asyncpg's ``$n``
form and run as a prepared statement on a small asyncpg pool, which costs a fraction of an ORM round trip.
Used only for reads that need no transaction (a single statement sees a consistent snapshot anyway).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import asyncpg
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.sql import ClauseElement

from services.common.db import Database

_DIALECT = asyncpg_dialect(paramstyle="numeric_dollar")


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
    ) -> Sequence[Mapping[str, Any]]:
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
            return list(await connection.fetch(compiled.sql, *[params[n] for n in compiled.names]))

    async def fetch_one(self, statement: ClauseElement, params: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The first row of a statement built once at import, or None."""
        rows = await self.fetch_all(statement, params)
        return rows[0] if rows else None

"""Reading a test database through the services' models, on the app's own engine (one engine per database)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

Table = str | sa.Table | type
Condition = sa.ColumnElement[bool] | str


def _source(table: Table) -> sa.FromClause:
    if isinstance(table, str):
        return sa.table(table)
    if isinstance(table, sa.Table):
        return table
    return sa.inspect(table).local_table  # a mapped model class


def _condition(where: Condition) -> sa.ColumnElement[bool]:
    # Older callers pass "WHERE ..." strings; new ones pass expressions on the models.
    return sa.text(where.strip().removeprefix("WHERE").strip()) if isinstance(where, str) else where


class Rows:
    """Counts and reads of one service database, made on ``engine`` (the running app's)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def count(self, table: Table, *where: Condition) -> int:
        """Rows of ``table`` (a model, a Table or a name) matching every condition in ``where``."""
        conditions = [_condition(w) for w in where if not isinstance(w, str) or w.strip()]
        statement = sa.select(sa.func.count()).select_from(_source(table)).where(*conditions)
        async with self.engine.connect() as connection:
            return int((await connection.execute(statement)).scalar_one())

    async def all(self, statement: sa.Executable | str, **params: Any) -> list[Any]:
        """The rows ``statement`` selects (a SQLAlchemy statement, or SQL text with ``params``)."""
        if isinstance(statement, str):
            statement = sa.text(statement)
        async with self.engine.connect() as connection:
            return list((await connection.execute(statement, params)).all())

    async def execute(self, statement: sa.Executable | str, **params: Any) -> None:
        """Change rows behind the app's back, in a transaction of its own."""
        if isinstance(statement, str):
            statement = sa.text(statement)
        async with self.engine.begin() as connection:
            await connection.execute(statement, params)

    async def counts(self, *tables: Table) -> dict[str, int]:
        """Rows in each table, by name: a picture to compare before and after a refused request."""
        return {_source(table).name: await self.count(table) for table in tables}  # type: ignore[attr-defined]

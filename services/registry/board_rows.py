"""The statement the overdue board's rows of every kind share: a kind's rows in some states, in one district when
given, with the code and name of their project (what the board names an item by). Each kind's repository adds
the columns its deadline is counted from."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa

from services.registry.models import Project


def on_board(model: Any, columns: Collection[Any], states: Collection[str], district: str | None) -> sa.Select[Any]:
    """``columns`` of ``model``'s rows in ``states`` (and ``district``), with ``project_code`` and ``project_name``."""
    stmt = (
        sa.select(*columns, Project.code.label("project_code"), Project.name.label("project_name"))
        .join(Project, Project.id == model.project_id)
        .where(model.state.in_(list(states)))
    )
    return stmt if district is None else stmt.where(model.district == district)

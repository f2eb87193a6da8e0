"""All SQL of spreadsheet imports: the rows a sheet names, read in a few statements rather than one per row."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import Developer, ProgressReport, Project

# Bind parameters per IN list: well under SQLite's and asyncpg's limits.
CHUNK = 1000


def _chunks(values: Collection[str]) -> list[list[str]]:
    ordered = sorted(values)
    return [ordered[i : i + CHUNK] for i in range(0, len(ordered), CHUNK)]


async def projects_by_code(session: AsyncSession, codes: Collection[str]) -> dict[str, Project]:
    """The projects with these codes, locked for update, by code."""
    found: dict[str, Project] = {}
    for chunk in _chunks(codes):
        stmt = sa.select(Project).where(Project.code.in_(chunk)).order_by(Project.id).with_for_update()
        for project in (await session.scalars(stmt)).all():
            found[project.code] = project
    return found


async def developers_by_credit_code(session: AsyncSession, codes: Collection[str]) -> dict[str, Developer]:
    found: dict[str, Developer] = {}
    for chunk in _chunks(codes):
        for developer in (await session.scalars(sa.select(Developer).where(Developer.credit_code.in_(chunk)))).all():
            found[developer.credit_code] = developer
    return found


_REPORT_VALUES = (
    ProgressReport.project_id,
    ProgressReport.week,
    ProgressReport.progress_pct,
    ProgressReport.working,
    ProgressReport.workers_on_site,
    ProgressReport.issues,
    ProgressReport.actions,
)


async def reports_of(session: AsyncSession, project_ids: Collection[str]) -> dict[tuple[str, str], Any]:
    """The recorded weekly reports of these projects, by (project id, week): their values as rows (named like the
    model's attributes), not ORM objects, since a year of a thousand projects is 52,000 of them."""
    found: dict[tuple[str, str], Any] = {}
    for chunk in _chunks(project_ids):
        stmt = sa.select(*_REPORT_VALUES).where(ProgressReport.project_id.in_(chunk))
        for report in (await session.execute(stmt)).all():
            found[(report.project_id, report.week)] = report
    return found

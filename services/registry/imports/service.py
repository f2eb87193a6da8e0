"""Importing the ledger and the weekly dispatch sheets: every row through the same rules as the API.

A project row creates its project (``projects.service.create``) or changes it (``projects.service.update``, the
rules of ``PATCH``); a weekly row records its report (``progress.service.create``). Every problem of every row
is collected; the caller writes nothing when there is one (all or nothing) or when it is a dry run.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import spreadsheets
from services.common.auth import Principal
from services.common.db import serialize_on
from services.common.outbox import Outbox
from services.common.problems import ProblemError
from services.common.spreadsheets import Sheet
from services.registry.developers import service as developers
from services.registry.developers.schemas import DeveloperCreate
from services.registry.imports import repository
from services.registry.imports.schemas import ImportResult, RowError
from services.registry.imports.sheets import (
    PROJECT_COLUMNS,
    REPORT_COLUMNS,
    Column,
    Layout,
    ReadRow,
    credit_code_error,
    layout,
    problem_errors,
    read_rows,
    row_error,
    validation_errors,
)
from services.registry.models import Developer, Project
from services.registry.progress import service as progress
from services.registry.progress.schemas import ProgressReportCreate
from services.registry.projects import service as projects
from services.registry.projects.schemas import ProjectCreate, ProjectUpdate
from services.registry.scope import can_see_district
from services.registry.settings import District

IMPORT_LOCK = "registry:spreadsheet-import"
# The project fields a row carries, compared with the recorded project to tell an update from no change.
UPDATABLE = (
    "name",
    "developer_id",
    "total_units",
    "sold_units",
    "delivered_units",
    "contract_delivery_date",
    "status",
    "progress_pct",
    "remaining_cost",
    "own_funds_available",
    "responsible_unit",
    "responsible_person",
)


@dataclass(slots=True)
class Tally:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def result(self, errors: list[RowError], dry_run: bool) -> ImportResult:
        errors.sort(key=lambda e: (e.sheet or "", e.row))
        return ImportResult(
            dry_run=dry_run,
            rows=self.rows,
            created=self.created,
            updated=self.updated,
            unchanged=self.unchanged,
            errors=errors,
        )


def _read(sheets: Sequence[Sheet], columns: Sequence[Column]) -> list[tuple[ReadRow, Layout]]:
    out: list[tuple[ReadRow, Layout]] = []
    for sheet in sheets:
        where = layout(sheet, columns)
        out.extend((row, where) for row in read_rows(sheet, columns, where))
    return out


def rejected(result: ImportResult) -> ProblemError:
    """The 422 of a real run with row errors: the problem carries the whole result, and nothing was written."""
    return ProblemError(
        422,
        f"{len(result.errors)} problem(s) in the file; nothing was imported. Fix the rows listed and try again.",
        slug="import-rejected",
        title="The file has errors",
        extensions=result.model_dump(mode="json"),
    )


async def finish(session: AsyncSession, result: ImportResult) -> ImportResult:
    """All or nothing: a run with any error raises 422 (so the request's transaction rolls back); a dry run
    rolls back what it tried, so it leaves the database as it was."""
    if result.errors and not result.dry_run:
        raise rejected(result)
    if result.dry_run:
        await session.rollback()
    return result


# Projects ----------------------------------------------------------------------------------------------------


def _district_codes(districts: Sequence[District]) -> dict[str, str]:
    """District codes by code and by name."""
    out = {d.code: d.code for d in districts}
    out.update({d.name: d.code for d in districts})
    return out


async def import_projects(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    sheets: Sequence[Sheet],
    *,
    districts: Sequence[District],
    dry_run: bool,
) -> ImportResult:
    """Create or update the projects of the ledger's rows; see the module's docstring."""
    read = _read(sheets, PROJECT_COLUMNS)
    # Two imports at once would both find a new code free and both insert it: one waits for the other.
    await serialize_on(session, IMPORT_LOCK)
    tally = Tally(rows=len(read))
    errors: list[RowError] = [e for row, _ in read for e in row.errors]
    by_district = _district_codes(districts)
    seen_codes: dict[str, int] = {}
    good: list[tuple[ReadRow, Layout]] = []
    for row, where in read:
        if row.errors:
            continue
        values = row.values
        district = by_district.get(values["district"])
        index = where.positions.get("district")
        if district is None:
            names = "、".join(f"{d.code} {d.name}" for d in districts)
            errors.append(
                row_error(
                    row.row,
                    "district",
                    f"{values['district']!r} is not a district of the city: give its code or name ({names}).",
                    f"“{values['district']}”不是本市区县：请填写区县代码或名称（{names}）。",
                    index,
                )
            )
            continue
        values["district"] = district
        if not can_see_district(principal, district):
            errors.append(
                row_error(
                    row.row,
                    "district",
                    f"The row is in district {district}; you may import only your own district's projects.",
                    "该行属于其他区县，只能导入本区县的项目。",
                    index,
                )
            )
            continue
        bad_code = credit_code_error(
            row.row, values["developer_credit_code"], where.positions.get("developer_credit_code")
        )
        if bad_code is not None:
            errors.append(bad_code)
            continue
        values["developer_credit_code"] = values["developer_credit_code"].strip().upper()
        first = seen_codes.setdefault(values["code"], row.row.number)
        if first != row.row.number:
            errors.append(
                row_error(
                    row.row,
                    "code",
                    f"The code {values['code']} is on row {first} already; a project takes one row.",
                    f"项目编号 {values['code']} 已在第 {first} 行出现，一个项目只能占一行。",
                    where.positions.get("code"),
                )
            )
            continue
        good.append((row, where))
    existing = await repository.projects_by_code(session, [row.values["code"] for row, _ in good])
    known_developers = await repository.developers_by_credit_code(
        session, {row.values["developer_credit_code"] for row, _ in good}
    )
    district_codes = {d.code for d in districts}
    new: list[ProjectCreate] = []
    for row, where in good:
        developer = await _developer(session, principal, row, where, known_developers, errors)
        if developer is None:
            continue
        project = existing.get(row.values["code"])
        try:
            if project is None:
                new.append(_checked_new(principal, row, where, developer, district_codes, errors))
            elif await _update(session, outbox, principal, row, where, project, developer, errors):
                tally.updated += 1
            else:
                tally.unchanged += 1
        except _RowRefused:
            continue
    if not errors or dry_run:
        # New projects are written together, a few statements for the whole sheet; with errors a real run
        # writes nothing, so it need not write them at all.
        await projects.create_many(session, outbox, principal, new)
    tally.created = len(new)
    return tally.result(errors, dry_run)


class _RowRefused(Exception):
    """The row's errors are recorded; go on with the next row."""


async def _developer(
    session: AsyncSession,
    principal: Principal,
    row: ReadRow,
    where: Layout,
    known: dict[str, Developer],
    errors: list[RowError],
) -> Developer | None:
    """The developer by credit code; registered (audited) when the city has none with that code yet."""
    code = row.values["developer_credit_code"]
    developer = known.get(code)
    if developer is not None:
        return developer
    name = row.values.get("developer_name")
    if not name:
        errors.append(
            row_error(
                row.row,
                "developer_name",
                f"No developer is registered with credit code {code}: give developer_name to register it.",
                f"统一社会信用代码 {code} 的开发企业尚未登记：请填写开发企业名称以便登记。",
                where.positions.get("developer_name"),
            )
        )
        return None
    try:
        data = DeveloperCreate(name=name, credit_code=code)
    except ValidationError as exc:
        errors.extend(_developer_errors(row, exc, where))
        return None
    developer = await developers.create(session, principal, data)
    known[code] = developer
    return developer


def _developer_errors(row: ReadRow, exc: ValidationError, where: Layout) -> list[RowError]:
    out = []
    for error in exc.errors():
        column = "developer_name" if error.get("loc") == ("name",) else "developer_credit_code"
        out.append(
            row_error(
                row.row, column, f"{column}: {error['msg']}.", "开发企业信息不符合要求。", where.positions.get(column)
            )
        )
    return out


def _fields(row: ReadRow, developer: Developer) -> dict[str, Any]:
    """The project's fields as the row gives them; a blank optional cell is left out (it changes nothing)."""
    values = row.values
    out: dict[str, Any] = {"developer_id": developer.id}
    for name in (
        "code",
        "name",
        "district",
        "total_units",
        "sold_units",
        "delivered_units",
        "contract_delivery_date",
        "status",
        "progress_pct",
        "remaining_cost",
        "own_funds_available",
        "responsible_unit",
        "responsible_person",
    ):
        if values.get(name) is not None:
            out[name] = values[name]
    return out


def _checked_new(
    principal: Principal,
    row: ReadRow,
    where: Layout,
    developer: Developer,
    district_codes: Collection[str],
    errors: list[RowError],
) -> ProjectCreate:
    """The row as a new project, checked by the rules of ``POST /v1/projects``."""
    fields = _fields(row, developer)
    for name in ("remaining_cost", "own_funds_available", "progress_pct"):
        if name in fields:
            fields[name] = str(fields[name])
    try:
        data = ProjectCreate(**fields)
    except ValidationError as exc:
        errors.extend(validation_errors(row.row, exc, where))
        raise _RowRefused from exc
    try:
        projects.check_new(principal, data, districts=district_codes)
    except ProblemError as exc:
        errors.extend(problem_errors(row.row, exc, where, "code"))
        raise _RowRefused from exc
    return data


def _same(current: Any, new: Any) -> bool:
    if isinstance(current, Decimal) and isinstance(new, (Decimal, str)):
        return current == Decimal(str(new))
    return bool(current == new) or str(current) == str(new)


async def _update(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    row: ReadRow,
    where: Layout,
    project: Project,
    developer: Developer,
    errors: list[RowError],
) -> bool:
    """Change the project as the row says, by the rules of PATCH; False when the row matches it already."""
    if not can_see_district(principal, project.district):
        errors.append(
            row_error(
                row.row,
                "code",
                f"The code {project.code} belongs to a project you may not change (another district's).",
                f"项目编号 {project.code} 属于其他区县的项目，不能导入修改。",
                where.positions.get("code"),
            )
        )
        raise _RowRefused
    fields = _fields(row, developer)
    if fields["district"] != project.district:
        errors.append(
            row_error(
                row.row,
                "district",
                f"Project {project.code} is in district {project.district}; a project does not move district.",
                f"项目 {project.code} 属于区县 {project.district}，不能通过导入变更区县。",
                where.positions.get("district"),
            )
        )
        raise _RowRefused
    changes = {
        name: (str(value) if isinstance(value, Decimal) else value)
        for name, value in fields.items()
        if name in UPDATABLE and not _same(getattr(project, name), value)
    }
    if not changes:
        return False
    try:
        data = ProjectUpdate(**changes)
    except ValidationError as exc:
        errors.extend(validation_errors(row.row, exc, where))
        raise _RowRefused from exc
    try:
        await projects.update(session, outbox, principal, project, data, None)
    except ProblemError as exc:
        errors.extend(problem_errors(row.row, exc, where, "code"))
        raise _RowRefused from exc
    return True


# Weekly dispatch ---------------------------------------------------------------------------------------------

REPORT_FIELDS = ("progress_pct", "working", "workers_on_site", "issues", "actions")


async def import_reports(
    session: AsyncSession, outbox: Outbox, principal: Principal, sheets: Sequence[Sheet], *, dry_run: bool
) -> ImportResult:
    """Record the weekly reports of the sheet's rows, earliest week first, each by the progress service."""
    read = _read(sheets, REPORT_COLUMNS)
    await serialize_on(session, IMPORT_LOCK)
    tally = Tally(rows=len(read))
    errors: list[RowError] = [e for row, _ in read for e in row.errors]
    good = [(row, where) for row, where in read if not row.errors]
    found = await repository.projects_by_code(session, {row.values["code"] for row, _ in good})
    visible = {code: p for code, p in found.items() if can_see_district(principal, p.district)}
    recorded = await repository.reports_of(session, [p.id for p in visible.values()])
    seen: dict[tuple[str, str], int] = {}
    ready: list[tuple[ReadRow, Layout, ProgressReportCreate, Project]] = []
    for row, where in good:
        values = row.values
        project = visible.get(values["code"])
        if project is None:
            errors.append(
                row_error(
                    row.row,
                    "code",
                    f"No project you may report on has the code {values['code']} (import the ledger first).",
                    f"没有可填报的项目编号 {values['code']}（请先导入项目台账，且只能填报本区县项目）。",
                    where.positions.get("code"),
                )
            )
            continue
        key = (values["code"], values["week"])
        first = seen.setdefault(key, row.row.number)
        if first != row.row.number:
            errors.append(
                row_error(
                    row.row,
                    "week",
                    f"{values['code']} {values['week']} is on row {first} already; a week takes one row.",
                    f"{values['code']} 的 {values['week']} 已在第 {first} 行出现。",
                    where.positions.get("week"),
                )
            )
            continue
        try:
            data = ProgressReportCreate(**{k: v for k, v in values.items() if k != "code"})
        except ValidationError as exc:
            errors.extend(validation_errors(row.row, exc, where))
            continue
        ready.append((row, where, data, project))
    by_project: dict[str, list[ProgressReportCreate]] = {}
    for row, where, data, project in ready:
        report = recorded.get((project.id, data.week))
        if report is not None:
            if all(_same(getattr(report, name), getattr(data, name)) for name in REPORT_FIELDS):
                tally.unchanged += 1
                continue
            errors.append(
                row_error(
                    row.row,
                    "week",
                    f"{data.week} is reported already for {project.code}, with other values; a report is not changed "
                    "by import.",
                    f"项目 {project.code} 的 {data.week} 已填报且内容不同，导入不能修改已填报的周报。",
                    where.positions.get("week"),
                )
            )
            continue
        try:
            await progress.check(session, project, data)
        except ProblemError as exc:
            column = {"future-period": "week", "stop-work-order": "working"}.get(exc.slug or "", "code")
            errors.extend(problem_errors(row.row, exc, where, column))
            continue
        by_project.setdefault(project.id, []).append(data)
        tally.created += 1
    if errors and not dry_run:
        return tally.result(errors, dry_run)  # refused as a whole: nothing to write
    latest: dict[str, str] = {}
    for project_id, week in recorded:
        latest[project_id] = max(week, latest.get(project_id, week))
    projects_by_id = {p.id: p for p in visible.values()}
    batches = [
        progress.Weeks(projects_by_id[project_id], items, latest.get(project_id))
        for project_id, items in by_project.items()
    ]
    await progress.create_many(session, outbox, principal, batches)
    return tally.result(errors, dry_run)


def read_sheets(body: bytes, content_type: str | None, *, max_rows: int) -> list[Sheet]:
    """The sheets of an uploaded file (see ``services.common.spreadsheets.read_sheets``)."""
    return spreadsheets.read_sheets(body, spreadsheets.media_kind(content_type), max_rows=max_rows)

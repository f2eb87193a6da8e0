"""``/v1/projects/import`` and ``/v1/progress-reports/import``: the ledger and the weekly dispatch sheets in from
CSV or xlsx, and their templates."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from services.common import clock, gc_pause
from services.common.days import week_of
from services.common.deps import Events, Session
from services.common.problems import problem_responses
from services.common.spreadsheets import CSV, XLSX
from services.registry.imports import service, templates
from services.registry.imports.schemas import ImportResult
from services.registry.scope import Reader, Writer

router = APIRouter(tags=["imports"])

_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The file itself: CSV in UTF-8 (with or without a byte-order mark) or an xlsx workbook.",
        "content": {
            CSV: {
                "schema": {"type": "string"},
                "examples": {
                    "weekly": {
                        "summary": "A weekly dispatch sheet with the field names as its header",
                        "value": "code,week,progress_pct,working,workers_on_site,issues,actions\r\n"
                        "HZ-2024-017,2026-W03,46,否,0,拖欠材料款,区专班约谈开发商\r\n",
                    }
                },
            },
            XLSX: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
_TEMPLATE_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The template workbook.",
        "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
    },
    **problem_responses(401, 403),
}
_IMPORT_ERRORS = problem_responses(401, 403, 413, 415, 422)
_IMPORT_ERRORS[422] = {
    **_IMPORT_ERRORS[422],
    "description": "Row errors in a real run (`import-rejected`: the problem carries `rows`, `created`, `updated`, "
    "`unchanged` and `errors` as a dry run would answer them, and nothing was written); a file that cannot be read "
    "(`unreadable-spreadsheet`) or whose header is wrong (`bad-header`).",
}
DryRun = Annotated[bool, Query(description="`true`: check every row and answer what would happen, writing nothing.")]


def _template(body: bytes, name: str) -> Response:
    return Response(body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get(
    "/v1/projects/import/template",
    operation_id="getProjectImportTemplate",
    summary="The ledger template (风险台账模板) for the project import, as xlsx",
    description="Row 1 holds the field names, row 2 their Chinese labels (both frozen), row 3 an example to "
    "overwrite. Either header row is accepted back; amounts are in yuan (元).",
    response_class=Response,
    responses=_TEMPLATE_ANSWER,
)
async def project_template(request: Request, principal: Reader) -> Response:
    return _template(templates.projects(request.app.state.settings.districts), "projects-template.xlsx")


@router.get(
    "/v1/progress-reports/import/template",
    operation_id="getProgressReportImportTemplate",
    summary="The weekly dispatch template (周调度模板) for the progress-report import, as xlsx",
    description="Row 1 holds the field names, row 2 their Chinese labels (both frozen), row 3 an example.",
    response_class=Response,
    responses=_TEMPLATE_ANSWER,
)
async def report_template(principal: Reader) -> Response:
    return _template(templates.reports(week_of(clock.today())), "progress-reports-template.xlsx")


async def _sheets(request: Request, body: bytes) -> list[Any]:
    max_rows = request.app.state.settings.import_max_rows
    # Reading a workbook is CPU work of seconds for a big file: off the event loop.
    return await asyncio.to_thread(service.read_sheets, body, request.headers.get("content-type"), max_rows=max_rows)


@router.post(
    "/v1/projects/import",
    operation_id="runProjectImport",
    summary="Import the risk ledger (风险台账) from CSV or xlsx: create new projects, update changed ones",
    description="City admins, and district officers for their own district (a row of another district is a row "
    "error). A row creates its project, or updates the project with its `code` under the rules of `PATCH` "
    "(audited, `project.facts_changed` announced); a row that matches the project changes nothing. `district` is "
    "a code or a name; the developer is found by `developer_credit_code`, or registered with `developer_name`. "
    "Every problem is listed with its row and column, in English and Chinese. With any error the real run answers "
    "422 `import-rejected` and writes nothing; `dry_run=true` writes nothing and answers 200 with what would "
    "happen. Files beyond the configured size answer 413.",
    response_model=ImportResult,
    responses=_IMPORT_ERRORS,
    openapi_extra=_BODY,
)
async def import_projects(
    request: Request, principal: Writer, session: Session, outbox: Events, dry_run: DryRun = False
) -> ImportResult:
    body = await request.body()  # received before the pause: a slow upload must not keep the collector off
    with gc_pause.paused():  # tens of thousands of rows alive at once: see services.common.gc_pause
        sheets = await _sheets(request, body)
        result = await service.import_projects(
            session, outbox, principal, sheets, districts=request.app.state.settings.districts, dry_run=dry_run
        )
        return await service.finish(session, result)


@router.post(
    "/v1/progress-reports/import",
    operation_id="runProgressReportImport",
    summary="Import weekly dispatch sheets (周调度) from CSV or xlsx: one report per project code and week",
    description="City admins, and district officers for their own district's projects. Each row is recorded as "
    "`POST /v1/projects/{id}/progress-reports` would record it, earliest week first: a future week, a week "
    "reported already with other values and a project past building are row errors; a week reported already "
    "with the same values is unchanged. With any error the real run answers 422 `import-rejected` and writes "
    "nothing; `dry_run=true` writes nothing.",
    response_model=ImportResult,
    responses=_IMPORT_ERRORS,
    openapi_extra=_BODY,
)
async def import_reports(
    request: Request, principal: Writer, session: Session, outbox: Events, dry_run: DryRun = False
) -> ImportResult:
    body = await request.body()  # received before the pause: a slow upload must not keep the collector off
    with gc_pause.paused():  # tens of thousands of rows alive at once: see services.common.gc_pause
        sheets = await _sheets(request, body)
        result = await service.import_reports(session, outbox, principal, sheets, dry_run=dry_run)
        return await service.finish(session, result)

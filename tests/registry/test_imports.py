"""Onboarding a city: the ledger and weekly dispatch sheets imported from xlsx and CSV, all or nothing."""

from __future__ import annotations

import contextlib
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from services.common.days import week_start
from services.common.events import EventType
from services.demo import LEDGER_COLUMNS, Demo
from services.registry.app import create_registry_app
from services.registry.models import OUTBOX, AuditEntry, Developer, ProgressReport, Project
from tests.registry import inspections_support as inspections
from tests.registry.conftest import Registry
from tests.support import factories
from tests.support.apps import auth, running
from tests.support.days import week

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATA = Path(__file__).parent.parent / "data"
HEADER = [
    "code",
    "name",
    "district",
    "developer_name",
    "developer_credit_code",
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
]
LABELS = [
    "项目编号",
    "项目名称",
    "所属区县",
    "开发企业名称",
    "统一社会信用代码",
    "总套数",
    "已售套数",
    "已交付套数",
    "合同约定交付日期",
    "项目状态",
    "工程进度（%）",
    "剩余投入（元）",
    "可用自有资金（元）",
    "责任单位",
    "责任人",
]
REPORT_HEADER = ["code", "week", "progress_pct", "working", "workers_on_site", "issues", "actions"]
CREDIT = factories.credit_code(424242)


def ledger_row(code: str, **overrides: Any) -> list[Any]:
    values: dict[str, Any] = {
        "code": code,
        "name": f"{code} 花园",
        "district": "东湖区",
        "developer_name": "示例置业有限公司",
        "developer_credit_code": CREDIT,
        "total_units": 800,
        "sold_units": 600,
        "delivered_units": 0,
        "contract_delivery_date": date(2027, 6, 30),
        "status": "在建",
        "progress_pct": 40,
        "remaining_cost": 125000000,
        "own_funds_available": "30,000,000.00",
        "responsible_unit": "东湖区住建局",
        "responsible_person": "张三",
        **overrides,
    }
    return [values[name] for name in HEADER]


def workbook(*rows: list[Any], header: list[str] | None = None, title: str = "Sheet") -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append(header or HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def send(
    registry: Registry,
    body: bytes,
    *,
    what: str = "projects",
    dry_run: bool = False,
    content_type: str = XLSX,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await registry.client.post(
        f"/v1/{what}/import",
        params={"dry_run": str(dry_run).lower()},
        content=body,
        headers={**(headers or registry.admin), "Content-Type": content_type},
    )


async def project_by_code(registry: Registry, code: str) -> dict[str, Any]:
    listed = await registry.client.get("/v1/projects", params={"q": code}, headers=registry.admin)
    [project] = [p for p in listed.json()["items"] if p["code"] == code]
    return dict(project)


async def events(registry: Registry) -> int:
    return await registry.count(OUTBOX.events, OUTBOX.events.c.type == EventType.project_facts_changed)


async def test_templates_carry_field_names_labels_and_an_example(registry: Registry) -> None:
    response = await registry.client.get("/v1/projects/import/template", headers=registry.admin)
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADER
    assert [str(v).rstrip("*") for v in rows[1]] == LABELS
    assert rows[2][0] == "HZ-2024-017"
    assert sheet.freeze_panes == "A3"
    assert sheet.cell(3, HEADER.index("remaining_cost") + 1).number_format == "0.00"
    weekly = await registry.client.get("/v1/progress-reports/import/template", headers=registry.admin)
    rows = [list(r) for r in load_workbook(io.BytesIO(weekly.content)).active.iter_rows(values_only=True)]  # type: ignore[union-attr]
    assert rows[0] == REPORT_HEADER
    assert rows[1][1] == "周次*"


async def test_the_filled_in_template_imports(registry: Registry) -> None:
    """The template itself (both header rows kept, the example row overwritten) goes back in."""
    template = await registry.client.get("/v1/projects/import/template", headers=registry.admin)
    book = load_workbook(io.BytesIO(template.content))
    sheet = book.active
    assert sheet is not None
    for index, value in enumerate(ledger_row("TPL-1"), start=1):
        sheet.cell(3, index, value)
    buffer = io.BytesIO()
    book.save(buffer)
    response = await send(registry, buffer.getvalue())
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 1


async def test_import_creates_projects_and_developers_then_changes_nothing_twice(registry: Registry) -> None:
    body = workbook(ledger_row("IMP-1"), ledger_row("IMP-2", district="990101", developer_name=None))
    response = await send(registry, body)
    assert response.status_code == 200, response.text
    assert response.json() == {"dry_run": False, "rows": 2, "created": 2, "updated": 0, "unchanged": 0, "errors": []}
    project = await project_by_code(registry, "IMP-1")
    assert project["district"] == "990101"
    assert project["status"] == "under_construction"
    assert project["remaining_cost"] == "125000000.00"
    assert project["own_funds_available"] == "30000000.00"
    assert project["contract_delivery_date"] == "2027-06-30"
    assert await registry.count(Developer, Developer.credit_code == CREDIT) == 1
    audits, facts = await registry.count(AuditEntry), await events(registry)
    assert facts == 2

    again = await send(registry, body)
    assert again.status_code == 200
    assert again.json()["unchanged"] == 2
    assert again.json()["created"] == again.json()["updated"] == 0
    assert await registry.count(AuditEntry) == audits
    assert await events(registry) == facts
    assert (await project_by_code(registry, "IMP-1"))["version"] == project["version"]


async def test_a_changed_row_updates_its_project_audited_and_announced(registry: Registry) -> None:
    await send(registry, workbook(ledger_row("UPD-1"), ledger_row("UPD-2")))
    before = await project_by_code(registry, "UPD-1")
    facts = await events(registry)
    changed = workbook(ledger_row("UPD-1", sold_units=650, remaining_cost="1.2亿元"), ledger_row("UPD-2"))
    response = await send(registry, changed)
    assert response.status_code == 200, response.text
    assert (response.json()["updated"], response.json()["unchanged"]) == (1, 1)
    after = await project_by_code(registry, "UPD-1")
    assert after["sold_units"] == 650
    assert after["remaining_cost"] == "120000000.00"
    assert after["version"] == before["version"] + 1
    assert await events(registry) == facts + 1
    audit = (await registry.client.get("/v1/audit", params={"project_id": before["id"]}, headers=registry.admin)).json()
    assert audit["items"][0]["action"] == "update"


async def test_dry_run_reports_and_writes_nothing(registry: Registry) -> None:
    response = await send(registry, workbook(ledger_row("DRY-1")), dry_run=True)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 1
    assert response.json()["dry_run"] is True
    assert await registry.count(Project) == 0
    assert await registry.count(Developer) == 0
    assert await registry.count(AuditEntry) == 0
    assert await registry.count(OUTBOX.events) == 0


async def test_every_kind_of_row_error_is_listed_and_nothing_is_written(registry: Registry) -> None:
    await send(registry, workbook(ledger_row("OLD-1")))
    before = await project_by_code(registry, "OLD-1")
    audits, facts = await registry.count(AuditEntry), await events(registry)
    rows = [
        ledger_row("OK-1"),  # row 2: fine on its own
        ledger_row("BAD-1", district="火星区"),  # 3
        ledger_row("BAD-2", developer_credit_code="91330100MA2H3K7P42"),  # 4: check digit
        ledger_row("BAD-3", contract_delivery_date="30/6/2027"),  # 5: ambiguous day
        ledger_row("BAD-4", remaining_cost="1,25,000"),  # 6: bad grouping
        ledger_row("BAD-5", sold_units=900),  # 7: more sold than built
        ledger_row("BAD-6", total_units="=A1*2"),  # 8: a formula
        ledger_row("OLD-1", status="已交付"),  # 9: under_construction -> delivered is illegal
        ledger_row("BAD-7", name=None),  # 10: required
        ledger_row("OK-1"),  # 11: the code twice
        ledger_row("BAD-8", status="停工"),  # 12: a new project starts registered or under construction
        ledger_row("BAD-9", remaining_cost="-5"),  # 13
        ledger_row("BAD-10", progress_pct="120%"),  # 14
        ledger_row("BAD-11", developer_credit_code=factories.credit_code(777), developer_name=None),  # 15
    ]
    response = await send(registry, workbook(*rows))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["type"] == "urn:handover:problem:import-rejected"
    assert response.headers["content-type"] == "application/problem+json"
    found = {(e["row"], e["column"]) for e in body["errors"]}
    assert found == {
        (3, "district"),
        (4, "developer_credit_code"),
        (5, "contract_delivery_date"),
        (6, "remaining_cost"),
        (7, "sold_units"),
        (8, "total_units"),
        (9, "code"),
        (10, "name"),
        (11, "code"),
        (12, "status"),
        (13, "remaining_cost"),
        (14, "progress_pct"),
        (15, "developer_name"),
    }
    assert all(e["detail"] and e["detail_zh"] for e in body["errors"])
    formula = next(e for e in body["errors"] if e["row"] == 8)
    assert formula["cell"] == "F8"
    assert "公式" in formula["detail_zh"]
    assert body["rows"] == 14
    assert await registry.count(Project) == 1
    assert await registry.count(AuditEntry) == audits
    assert await events(registry) == facts
    assert await project_by_code(registry, "OLD-1") == before

    dry = await send(registry, workbook(*rows), dry_run=True)
    assert dry.status_code == 200
    assert dry.json()["errors"] == body["errors"]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2026/6/30", "2026-06-30"),
        ("2026-06-30", "2026-06-30"),
        ("2026年6月30日", "2026-06-30"),
        (46203, "2026-06-30"),
        (datetime(2026, 6, 30), "2026-06-30"),
    ],
)
async def test_days_as_text_serial_numbers_or_date_cells(registry: Registry, cell: Any, expected: str) -> None:
    response = await send(registry, workbook(ledger_row("DAY-1", contract_delivery_date=cell)))
    assert response.status_code == 200, response.text
    assert (await project_by_code(registry, "DAY-1"))["contract_delivery_date"] == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (125000000, "125000000.00"),
        (1250.5, "1250.50"),
        ("1,250,000.00", "1250000.00"),
        ("¥1,250,000", "1250000.00"),
        ("12500万元", "125000000.00"),
        ("1.25亿", "125000000.00"),
        ("3000元", "3000.00"),
    ],
)
async def test_amounts_in_yuan_with_separators_or_units(registry: Registry, cell: Any, expected: str) -> None:
    response = await send(registry, workbook(ledger_row("AMT-1", remaining_cost=cell)))
    assert response.status_code == 200, response.text
    assert (await project_by_code(registry, "AMT-1"))["remaining_cost"] == expected


async def test_chinese_header_csv_with_bom_and_empty_rows(registry: Registry) -> None:
    lines = [
        ",".join(LABELS),
        ",".join(str(v) for v in ledger_row("CSV-1", own_funds_available="3000000")),
        ",,,,,,,,,,,,,,",
        "",
        ",".join(str(v) for v in ledger_row("CSV-2", district="990101", own_funds_available="3000000")),
    ]
    body = ("\ufeff" + "\r\n".join(lines)).encode("utf-8")
    response = await send(registry, body, content_type="text/csv; charset=utf-8")
    assert response.status_code == 200, response.text
    assert (response.json()["rows"], response.json()["created"]) == (2, 2)
    without_bom = await send(registry, body[3:], content_type="text/csv")
    assert without_bom.json()["unchanged"] == 2


async def test_empty_rows_in_a_workbook_are_skipped_and_rows_keep_their_numbers(registry: Registry) -> None:
    body = workbook([None] * len(HEADER), ledger_row("GAP-1"), [None, "  "], ledger_row("GAP-2", total_units="many"))
    response = await send(registry, body, dry_run=True)
    assert response.status_code == 200
    assert (response.json()["rows"], response.json()["created"]) == (2, 1)
    assert [(e["row"], e["column"]) for e in response.json()["errors"]] == [(5, "total_units")]


async def test_a_district_officer_imports_only_its_district(registry: Registry) -> None:
    officer = auth("district_officer", district=factories.DISTRICT)
    await send(registry, workbook(ledger_row("WEST-1", district="西山区")))
    rows = workbook(
        ledger_row("EAST-1"), ledger_row("WEST-2", district="990102"), ledger_row("WEST-1", district="西山区")
    )
    response = await send(registry, rows, headers=officer)
    assert response.status_code == 422
    assert {(e["row"], e["column"]) for e in response.json()["errors"]} == {(3, "district"), (4, "district")}
    assert await registry.count(Project) == 1
    ok = await send(registry, workbook(ledger_row("EAST-1")), headers=officer)
    assert ok.status_code == 200
    viewer = await send(registry, workbook(ledger_row("EAST-2")), headers=auth("viewer"))
    assert viewer.status_code == 403


@pytest.mark.parametrize(
    ("body", "content_type", "status", "slug"),
    [
        (b"%PDF-1.7 not a sheet", XLSX, 422, "unreadable-spreadsheet"),
        (b"PK\x03\x04 broken zip", XLSX, 422, "unreadable-spreadsheet"),
        ("代码,名称\n".encode("gbk"), "text/csv", 422, "unreadable-spreadsheet"),
        (b"code,name\n", "application/json", 415, "unsupported-spreadsheet"),
        (b"code,color\nA,red\n", "text/csv", 422, "bad-header"),
        (b"code,name\nA,b\n", "text/csv", 422, "bad-header"),
    ],
)
async def test_files_that_cannot_be_imported(
    registry: Registry, body: bytes, content_type: str, status: int, slug: str
) -> None:
    response = await send(registry, body, content_type=content_type)
    assert response.status_code == status, response.text
    assert response.json()["type"] == f"urn:handover:problem:{slug}"
    assert await registry.count(Project) == 0


async def test_merged_header_cells_are_refused(registry: Registry) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.merge_cells("A1:B1")
    sheet.append(ledger_row("MRG-1"))
    buffer = io.BytesIO()
    book.save(buffer)
    response = await send(registry, buffer.getvalue())
    assert response.status_code == 422
    assert response.json()["type"] == "urn:handover:problem:bad-header"
    assert "A1:B1" in response.json()["detail"]


async def test_size_and_row_limits(registry_settings: Any) -> None:
    settings = registry_settings(import_max_bytes=4096, import_max_rows=3)
    app = create_registry_app(settings)
    async with running(app) as client:
        registry = Registry(client, settings.database_url, app)
        big = await client.post(
            "/v1/projects/import", content=b"x" * 5000, headers={**registry.admin, "Content-Type": "text/csv"}
        )
        assert big.status_code == 413
        assert big.json()["type"] == "urn:handover:problem:body-too-large"
        rows = "\n".join([",".join(HEADER)] + [",".join(str(v) for v in ledger_row(f"R-{i}")) for i in range(4)])
        many = await client.post(
            "/v1/projects/import", content=rows.encode(), headers={**registry.admin, "Content-Type": "text/csv"}
        )
        assert many.status_code == 413
        assert many.json()["type"] == "urn:handover:problem:too-many-rows"


async def test_twenty_thousand_rows_are_all_checked_and_one_bad_cell_writes_nothing(registry: Registry) -> None:
    rows = [ledger_row(f"BIG-{i:05d}", remaining_cost="x" if i == 19_999 else 1000) for i in range(20_000)]
    response = await send(registry, workbook(*rows))
    assert response.status_code == 422, response.text[:500]
    body = response.json()
    assert (body["rows"], body["created"]) == (20_000, 19_999)
    assert [(e["row"], e["column"], e["cell"]) for e in body["errors"]] == [(20_001, "remaining_cost", "L20001")]
    assert await registry.count(Project) == 0
    assert await registry.count(Developer) == 0


@pytest.mark.parametrize("name", ["ledger-libreoffice.xlsx", "ledger-openpyxl.xlsx"])
async def test_a_file_saved_by_a_spreadsheet_program(registry: Registry, name: str) -> None:
    """The same ledger as LibreOffice Calc saved it (shared strings, its own styles, sheet parts named relative
    to ``xl/``) and as openpyxl wrote it (tests/data/README.md) imports alike: two districts' sheets, a 万元 amount
    given as text, a percentage cell, dates as date cells."""
    body = (DATA / name).read_bytes()
    response = await send(registry, body, dry_run=True)
    assert response.status_code == 200, response.text
    assert response.json()["errors"] == []
    assert response.json()["created"] == 2
    assert (await send(registry, body)).status_code == 200
    stored = {
        code: (cost, progress, due)
        for code, cost, progress, due in await registry.rows(
            sa.select(Project.code, Project.remaining_cost, Project.progress_pct, Project.contract_delivery_date)
        )
    }
    assert stored == {
        "DH-2023-001": (Decimal("125000000.00"), Decimal("45.5"), date(2026, 12, 31)),
        "XS-2022-014": (Decimal("86000000.00"), Decimal("12"), date(2027, 3, 31)),
    }


# Weekly dispatch sheets ---------------------------------------------------------------------------------------


def report_row(code: str, week_: str, **overrides: Any) -> list[Any]:
    values = {
        "code": code,
        "week": week_,
        "progress_pct": 45,
        "working": "是",
        "workers_on_site": 80,
        "issues": None,
        "actions": None,
        **overrides,
    }
    return [values[name] for name in REPORT_HEADER]


async def test_weekly_sheet_records_reports_through_the_progress_rules(registry: Registry, today: date) -> None:
    await send(registry, workbook(ledger_row("WK-1"), ledger_row("WK-2"), ledger_row("WK-3", status="已登记")))
    done = await project_by_code(registry, "WK-3")
    await registry.client.patch(f"/v1/projects/{done['id']}", json={"status": "terminated"}, headers=registry.admin)
    sheet = workbook(
        report_row("WK-1", week(today), progress_pct="50%", working="否", workers_on_site=0),
        report_row("WK-1", week(today, -1), progress_pct=48),
        report_row("WK-2", week(today, -1)),
        header=REPORT_HEADER,
    )
    response = await send(registry, sheet, what="progress-reports")
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 3
    stalled = await project_by_code(registry, "WK-1")
    assert stalled["status"] == "stalled"
    assert stalled["progress_pct"] == "50.0"
    assert await registry.count(ProgressReport) == 3
    audits, facts = await registry.count(AuditEntry), await events(registry)

    again = await send(registry, sheet, what="progress-reports")
    assert again.json()["unchanged"] == 3
    assert await registry.count(AuditEntry) == audits
    assert await events(registry) == facts

    bad = workbook(
        report_row("WK-2", week(today)),  # 2: fine alone
        report_row("WK-2", week(today, 1)),  # 3: a future week
        report_row("WK-2", week(today, -1), workers_on_site=3),  # 4: reported already, other values
        report_row("WK-3", week(today)),  # 5: terminated
        report_row("NOPE", week(today)),  # 6: no such project
        report_row("WK-2", "2026-W60"),  # 7: no such week
        report_row("WK-2", week(today, -2), working="也许"),  # 8
        header=REPORT_HEADER,
    )
    rejected = await send(registry, bad, what="progress-reports")
    assert rejected.status_code == 422, rejected.text
    assert {(e["row"], e["column"]) for e in rejected.json()["errors"]} == {
        (3, "week"),
        (4, "week"),
        (5, "code"),
        (6, "code"),
        (7, "week"),
        (8, "working"),
    }
    assert await registry.count(ProgressReport) == 3
    assert await registry.count(AuditEntry) == audits


async def test_weekly_sheet_of_another_district_is_a_row_error(registry: Registry, today: date) -> None:
    await send(registry, workbook(ledger_row("WST-1", district="西山区")))
    officer = auth("district_officer", district=factories.DISTRICT)
    response = await send(
        registry,
        workbook(report_row("WST-1", week(today)), header=REPORT_HEADER),
        what="progress-reports",
        headers=officer,
    )
    assert response.status_code == 422
    assert [(e["row"], e["column"]) for e in response.json()["errors"]] == [(2, "code")]


def test_amount_and_day_readers_refuse_what_is_ambiguous() -> None:
    from services.common.spreadsheets import CellError, amount, day

    assert amount("1,250,000.5") == Decimal("1250000.50")
    for bad in ("1.250.000", "12,5", "1.234万美元", "0.001", "1.2345678万", "-3"):
        with pytest.raises(CellError):
            amount(bad)
    assert day(46203) == date(2026, 6, 30)
    for bad in ("6/30/2026", "30.06.2026", "2026-13-01", 12, True):
        with pytest.raises(CellError):
            day(bad)
    assert day("2026.6.30") == date(2026, 6, 30)
    assert day(date(2026, 6, 30) - timedelta(days=0)) == date(2026, 6, 30)


async def test_the_demo_city_loads_its_ledger_and_weekly_sheets_through_the_imports(registry: Registry) -> None:
    demo = Demo("http://registry.test", "http://financing.test", seed=7, projects=12)
    await demo.registry.aclose()
    demo.registry = registry.client
    try:
        developers = [(f"示范置业有限公司{i}", factories.credit_code(900 + i)) for i in range(3)]
        ledger = [demo.project_row(i, ["990101", "990102"], developers) for i in range(12)]
        answer = await demo.import_sheet("/v1/projects/import", LEDGER_COLUMNS, ledger, demo.admin)
        assert (answer["created"], answer["errors"]) == (12, [])
        projects = await demo.demo_projects()
        assert [p["code"] for p in projects] == [f"DEMO-{i:04d}" for i in range(1, 13)]
        await demo.weekly_reports(projects)
    finally:
        await demo.financing.aclose()
    assert await registry.count(ProgressReport) == 12 * 52
    assert await registry.count(Developer) == len({row[4] for row in ledger})


@given(st.one_of(st.text(max_size=60), st.integers(), st.floats(), st.decimals(), st.booleans(), st.dates()))
@settings(max_examples=300, deadline=None)
def test_cell_readers_answer_a_value_or_a_cell_error_never_a_crash(value: Any) -> None:
    from services.common import spreadsheets as cells

    for reader in (cells.amount, cells.count, cells.day, cells.percent, cells.yes_no, cells.text):
        with contextlib.suppress(cells.CellError):
            reader(value)


async def test_weekly_sheet_under_a_stop_work_order_may_not_report_working(registry: Registry, today: date) -> None:
    await send(registry, workbook(ledger_row("SW-1")))
    project = await project_by_code(registry, "SW-1")
    notice = week_start(week(today, -2))
    inspection = await inspections.inspect(registry, project["id"], inspected_on=notice.isoformat())
    await inspections.find(registry, inspection["id"], measure="stop_work")
    assert (await project_by_code(registry, "SW-1"))["stop_work_order"] is True
    sheet = workbook(
        report_row("SW-1", week(today, -3)),  # 2: a week that ended before the notice
        report_row("SW-1", week(today, -1)),  # 3: working under the order
        report_row("SW-1", week(today), working="否", workers_on_site=0),  # 4: stopped, as ordered
        header=REPORT_HEADER,
    )
    rejected = await send(registry, sheet, what="progress-reports")
    assert rejected.status_code == 422, rejected.text
    [error] = rejected.json()["errors"]
    assert (error["row"], error["column"]) == (3, "working")
    assert "stop-work" in error["detail"]
    assert await registry.count(ProgressReport) == 0

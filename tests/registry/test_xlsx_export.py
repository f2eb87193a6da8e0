"""Reports that answer CSV also answer xlsx: Chinese headers, numbers as numbers, the header row frozen, the same
figures as the JSON."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook

from services.common.headers import ZH
from services.common.media import XLSX
from tests.registry.conftest import Registry
from tests.support.days import week

ACCEPT = {"Accept": XLSX}


def read(content: bytes) -> tuple[Any, list[list[Any]]]:
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return sheet, [list(row) for row in sheet.iter_rows(values_only=True)]


async def test_weekly_report_as_xlsx_matches_the_json(registry: Registry, today: date) -> None:
    project = await registry.project()
    body = {"week": week(today), "progress_pct": "41", "working": False, "workers_on_site": 0}
    created = await registry.client.post(
        f"/v1/projects/{project['id']}/progress-reports", json=body, headers=registry.admin
    )
    assert created.status_code == 201
    params = {"week": week(today)}
    as_json = (await registry.client.get("/v1/reports/weekly", params=params, headers=registry.admin)).json()
    response = await registry.client.get("/v1/reports/weekly", params=params, headers={**registry.admin, **ACCEPT})
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"] == f'attachment; filename="weekly-{week(today)}.xlsx"'
    sheet, rows = read(response.content)
    assert sheet.freeze_panes == "A2"
    columns = list(as_json["districts"][0])
    assert rows[0] == [ZH[c] for c in columns]
    assert rows[0][:3] == ["区县代码", "区县", "填报项目数"]
    assert rows[1 : 1 + len(as_json["districts"])] == [[d[c] for c in columns] for d in as_json["districts"]]
    total = rows[-1]
    assert total[:2] == ["total", "合计"]
    assert total[2:] == [as_json["total"][c] for c in columns[2:]]
    assert all(isinstance(v, int) for v in total[2:])


async def test_monthly_stalled_list_as_xlsx(registry: Registry, today: date) -> None:
    project = await registry.project(code="X-STALL")
    body = {"week": week(today), "progress_pct": "41", "working": False, "workers_on_site": 0}
    await registry.client.post(f"/v1/projects/{project['id']}/progress-reports", json=body, headers=registry.admin)
    month = today.strftime("%Y-%m")
    params = {"month": month, "section": "stalled"}
    as_json = (await registry.client.get("/v1/reports/monthly", params=params, headers=registry.admin)).json()
    response = await registry.client.get("/v1/reports/monthly", params=params, headers={**registry.admin, **ACCEPT})
    assert response.status_code == 200
    _, rows = read(response.content)
    assert rows[0] == ["项目编号", "项目名称", "区县代码", "停工日期", "停工天数"]
    expected = [
        [p["code"], p["name"], p["district"], datetime.fromisoformat(p["stall_started_on"]), p["stall_days"]]
        for p in as_json["stalled_projects"]
    ]
    assert rows[1:] == expected
    csv = await registry.client.get(
        "/v1/reports/monthly", params=params, headers={**registry.admin, "Accept": "text/csv"}
    )
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"

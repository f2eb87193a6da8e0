"""The monthly bulletin (月通报) as a document: HTML and PDF whose figures are the JSON report's own."""

from __future__ import annotations

import io
import queue
import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from PIL import Image

from services.common.days import week_start
from services.registry.app import create_registry_app
from services.registry.bulletin import render
from services.registry.settings import RegistrySettings
from tests.registry import coordination_support as coordination
from tests.registry import inspections_support as inspections
from tests.registry.conftest import Registry
from tests.registry.test_reports import dispute, patch, report
from tests.support import browser, factories
from tests.support.apps import auth, running
from tests.support.days import week
from tests.support.documents import html_tables, poppler
from tests.support.signing import signed_event

HTML = {"Accept": "text/html"}
PDF = {"Accept": "application/pdf"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
FINANCING = "http://financing.test"
BANK_ROWS = [
    {
        "district": factories.DISTRICT,
        "bank": "ICBC-JN",
        "credit_lines_approved": 2,
        "credit_approved": "1500000.00",
        "amount_disbursed": "300000.50",
    },
    {
        "district": factories.OTHER_DISTRICT,
        "bank": "ICBC-JN",
        "credit_lines_approved": 1,
        "credit_approved": "250000.25",
        "amount_disbursed": "0.00",
    },
    {
        "district": factories.OTHER_DISTRICT,
        "bank": "CCB-JN",
        "credit_lines_approved": 1,
        "credit_approved": "800000.00",
        "amount_disbursed": "120000.00",
    },
]


def _financing_answer(month: str) -> dict[str, Any]:
    extra = {"projects_pushed": 0, "projects_approved": 0, "projects_declined": 0, "by_kind": []}
    return {
        "month": month,
        "period_start": f"{month}-01",
        "period_end": f"{month}-28",
        "rows": [{**row, **extra} for row in BANK_ROWS],
        "total": {},
        "policy_funds": {},
    }


@pytest.fixture
def financing() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=FINANCING, assert_all_called=False) as router:
        router.get("/v1/reports/financing").mock(
            side_effect=lambda request: httpx.Response(200, json=_financing_answer(request.url.params["month"]))
        )
        yield router


@pytest.fixture
async def city(registry_settings: Callable[..., RegistrySettings], financing: respx.MockRouter, today: date) -> Any:
    """A registry talking to a (mocked) financing, with projects in two districts: stalled, red, delivering."""
    settings = registry_settings(financing_url=FINANCING)
    app = create_registry_app(settings)
    async with running(app) as client:
        registry = Registry(client, settings.database_url, app)
        developer = await registry.developer()

        async def project(**overrides: Any) -> str:
            return str((await registry.project(developer_id=developer["id"], **overrides))["id"])

        stalled = await project(code="B-STALL", name="停工花园")
        await report(registry, stalled, week(today), working=False)
        delivering = await project(code="B-DELIVER")
        await report(registry, delivering, week(today), working=True)
        await patch(registry, delivering, delivered_units=120)
        elsewhere = await project(code="B-OTHER", district=factories.OTHER_DISTRICT)
        await report(registry, elsewhere, week(today), working=False)
        # Last month's figures, for the comparison at the head of the bulletin.
        await dispute(registry, elsewhere, today.replace(day=1) - timedelta(days=3))
        # An approval long past its due date, and one decided today.
        late = factories.approval(received_on=(today - timedelta(days=60)).isoformat(), lead_department="市自然资源局")
        assert (
            await registry.client.post(f"/v1/projects/{stalled}/approvals", json=late, headers=registry.admin)
        ).status_code == 201
        received = factories.approval(item="presale_permit", received_on=(today - timedelta(days=3)).isoformat())
        case = await registry.client.post(f"/v1/projects/{delivering}/approvals", json=received, headers=registry.admin)
        for action in ("accept", "approve"):
            moved = await registry.client.post(
                f"/v1/approvals/{case.json()['id']}/transitions", json={"action": action}, headers=registry.admin
            )
            assert moved.status_code == 200, moved.text
        # A finding long past its rectification deadline and escalated, one rectified and closed today, and a
        # coordination item long past its deadline.
        old = await inspections.inspect(registry, stalled, inspected_on=(today - timedelta(days=60)).isoformat())
        late_finding = await inspections.find(registry, old["id"], responsible_party="construction")
        await inspections.move(registry, late_finding["id"], "escalate", note="市专班督办")
        fresh = await inspections.inspect(registry, delivering, inspected_on=today.isoformat())
        done = await inspections.find(registry, fresh["id"], category="quality", severity="general")
        await inspections.move(registry, done["id"], "reply", measures_taken="已整改")
        await inspections.move(registry, done["id"], "recheck", result="pass")
        await coordination.create(
            registry,
            elsewhere,
            topic="water",
            lead_department="市水务集团",
            raised_on=(today - timedelta(days=60)).isoformat(),
        )
        for project_id, tier in ((stalled, "red"), (elsewhere, "orange")):
            data = {"project_id": project_id, "sequence": 1, "tier": tier}
            assert (await registry.inbox(signed_event("project.risk_tier_changed", data))).status_code == 200
        yield registry


async def _both(registry: Registry, headers: dict[str, str], month: str) -> tuple[dict[str, Any], str]:
    params = {"month": month}
    json_answer = await registry.client.get("/v1/reports/monthly", params=params, headers=headers)
    assert json_answer.status_code == 200, json_answer.text
    page = await registry.client.get("/v1/reports/monthly", params=params, headers={**headers, **HTML})
    assert page.status_code == 200, page.text
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["vary"] == "Accept"
    return json_answer.json(), page.text


async def test_the_bulletin_shows_the_json_reports_figures(city: Registry, today: date) -> None:
    month = today.strftime("%Y-%m")
    body, page = await _both(city, city.admin, month)
    tables = html_tables(page)

    headline = {
        c.attrs["data-field"]: int(c.text) for r in tables["headline"] for c in r.cells if "data-field" in c.attrs
    }
    total = body["total"]
    assert headline == {name: total[name] for name in headline}
    assert (headline["stalled_at_end"], headline["units_delivered"]) == (2, 120)
    # The stalls began on the Monday of this week, which on a month's first days lies in the month before.
    began_this_month = week_start(week(today)).month == today.month
    assert headline["stalls_started"] == (2 if began_this_month else 0)
    # The month before, as its own JSON report gives it.
    first = date.fromisoformat(body["start"])
    before_month = (first - timedelta(days=1)).strftime("%Y-%m")
    before = (await city.client.get("/v1/reports/monthly", params={"month": before_month}, headers=city.admin)).json()[
        "total"
    ]
    previous = {
        c.attrs["data-previous"]: int(c.text) for r in tables["headline"] for c in r.cells if "data-previous" in c.attrs
    }
    assert previous == {name: before[name] for name in previous} and len(previous) == len(headline)
    assert previous["disputes_opened"] == 1

    ranking = {r.attrs["data-district"]: r.by_field() for r in tables["ranking"] if "data-district" in r.attrs}
    for row in body["districts"]:
        shown = ranking[row["district"]]
        assert {k: int(v) for k, v in shown.items()} == {k: row[k] for k in shown}
    # The home district has the red project: it is named first.
    order = [r.attrs["data-district"] for r in tables["ranking"] if "data-district" in r.attrs]
    assert order[0] == factories.DISTRICT

    # The trend's last month is this month's figures.
    trend = [c.text for r in tables["trend"] for c in r.cells if c.attrs.get("data-trend") == "stalled"]
    delivered = [c.text for r in tables["trend"] for c in r.cells if c.attrs.get("data-trend") == "delivered"]
    assert len(trend) == len(delivered) == 12
    assert (int(trend[-1]), int(delivered[-1])) == (total["stalled_at_end"], total["units_delivered"])

    # Credit by bank: summed by the test from what financing answered.
    expected: dict[str, list[Decimal]] = {}
    for row in BANK_ROWS:
        sums = expected.setdefault(str(row["bank"]), [Decimal(0), Decimal(0), Decimal(0)])
        sums[0] += int(row["credit_lines_approved"])  # type: ignore[call-overload]
        sums[1] += Decimal(str(row["credit_approved"]))
        sums[2] += Decimal(str(row["amount_disbursed"]))
    banks = {r.attrs["data-bank"]: r for r in tables["banks"] if "data-bank" in r.attrs}
    for bank, (lines, approved, disbursed) in expected.items():
        cells = {c.attrs["data-field"]: c for c in banks[bank].cells if "data-field" in c.attrs}
        assert int(cells["credit_lines_approved"].text) == lines
        assert Decimal(cells["credit_approved"].attrs["data-value"]) == approved
        assert Decimal(cells["amount_disbursed"].attrs["data-value"]) == disbursed
    assert banks["ICBC-JN"].cells[2].text == "1,750,000.25"

    approvals = {(r.attrs["data-district"], r.attrs["data-item"]): r.by_field() for r in tables["approvals"][1:]}
    assert len(body["approvals"]) == len(approvals) >= 2
    for row in body["approvals"]:
        shown = approvals[(row["district"], row["item"])]
        assert int(shown["decided"]) == row["decided"]
        assert (int(shown["open_overdue"]), int(shown["suspended"])) == (row["open_overdue"], row["suspended"])
        assert shown["within_limit_pct"] == (
            "—" if row["within_limit_pct"] is None else f"{Decimal(row['within_limit_pct']):.1f}"
        )
    assert sum(int(r["decided"]) for r in approvals.values()) == 1
    overdue = [r for r in tables["overdue-approvals"] if "data-code" in r.attrs]
    assert [r.attrs["data-code"] for r in overdue] == ["B-STALL"]
    assert "市自然资源局" in [c.text for c in overdue[0].cells]

    red = [r.attrs["data-code"] for r in tables["red"] if "data-code" in r.attrs]
    assert red == ["B-STALL"]
    newly = [r.attrs["data-code"] for r in tables["newly-stalled"] if "data-code" in r.attrs]
    assert sorted(newly) == (["B-OTHER", "B-STALL"] if began_this_month else [])
    # A standalone page: no script, nothing fetched from anywhere (the charts refer only to their own parts).
    assert "<script" not in page
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#)|url\((?!#)""", page)
    assert page.count("<svg") == 2
    assert "关于" in page and "保交房通报〔" in page


async def test_the_bulletin_shows_supervision_and_names_what_is_late(city: Registry, today: date) -> None:
    body, page = await _both(city, city.admin, today.strftime("%Y-%m"))
    tables = html_tables(page)

    # Supervision by district: the JSON report's rows, and a total the test sums itself.
    shown = {r.attrs["data-district"]: r.by_field() for r in tables["supervision"] if "data-district" in r.attrs}
    rows = body["supervision"]
    assert rows and set(shown) == {row["district"] for row in rows} | ({"total"} if len(rows) > 1 else set())
    for row in rows:
        cells = shown[row["district"]]
        for name in ("inspections", "findings", "closed", "closed_on_time", "first_rechecks", "stop_work_orders"):
            assert int(cells[name]) == row[name], name
        assert int(cells["findings_serious"]) == row["findings_major"] + row["findings_critical"]
        for name in ("rectified_on_time_pct", "first_recheck_pass_pct"):
            assert cells[name] == ("—" if row[name] is None else f"{Decimal(row[name]):.1f}"), name
    # The finding closed today was rectified on time: 整改率 100% in its district.
    home = next(row for row in rows if row["district"] == factories.DISTRICT)
    assert (home["closed"], home["closed_on_time"], home["rectified_on_time_pct"]) == (1, 1, "100.0")

    coordination_rows = {
        (r.attrs["data-district"], r.attrs["data-department"]): r.by_field()
        for r in tables["coordination"]
        if "data-department" in r.attrs
    }
    assert len(coordination_rows) == len(body["coordination"]) >= 1
    for row in body["coordination"]:
        cells = coordination_rows[(row["district"], row["lead_department"])]
        assert {k: int(v) for k, v in cells.items()} == {k: row[k] for k in cells}
    assert coordination_rows[(factories.OTHER_DISTRICT, "市水务集团")]["overdue"] == "1"

    # What is late, a list per kind, with who holds it: the overdue board's own rows.
    board = (await city.client.get("/v1/supervision/overdue", headers=city.admin)).json()["items"]
    for kind, table in (
        ("approval", "overdue-approvals"),
        ("finding", "overdue-findings"),
        ("coordination_item", "overdue-coordination"),
    ):
        listed = [r for r in tables[table] if "data-code" in r.attrs]
        expected = [item for item in board if item["kind"] == kind]
        assert [r.attrs["data-code"] for r in listed] == [item["project_code"] for item in expected] != [], kind
        for row, item in zip(listed, expected, strict=True):
            texts = [c.text for c in row.cells]
            owner = item["owner"].split(" (")[0]  # a finding's party: the document keeps its Chinese name
            assert owner in texts and str(item["working_days_overdue"]) in texts, (kind, texts)
    finding_row = [c.text for c in next(r for r in tables["overdue-findings"] if "data-code" in r.attrs).cells]
    assert finding_row[0] != "" and finding_row[-1] == "已督办" and "施工单位" in finding_row
    assert [r.attrs["data-code"] for r in tables["overdue-coordination"] if "data-code" in r.attrs] == ["B-OTHER"]


async def test_a_district_officer_gets_the_bulletin_of_its_district(city: Registry, today: date) -> None:
    month = today.strftime("%Y-%m")
    officer = auth("district_officer", district=factories.OTHER_DISTRICT)
    body, page = await _both(city, officer, month)
    tables = html_tables(page)
    assert [r.attrs["data-district"] for r in tables["ranking"] if "data-district" in r.attrs] == [
        factories.OTHER_DISTRICT
    ]
    assert int(tables["headline"][1].by_field()["projects_reported"]) == body["total"]["projects_reported"]
    assert [r.attrs["data-code"] for r in tables["red"] if "data-code" in r.attrs] == []
    banks = {r.attrs["data-bank"]: r for r in tables["banks"] if "data-bank" in r.attrs}
    assert set(banks) == {"ICBC-JN", "CCB-JN", "total"}
    assert Decimal(banks["total"].cells[2].attrs["data-value"]) == Decimal("1050000.25")
    assert "B-STALL" not in page and "停工花园" not in page


async def test_without_financing_the_bulletin_says_so_and_renders(
    city: Registry, financing: respx.MockRouter, today: date
) -> None:
    financing.get("/v1/reports/financing").mock(side_effect=httpx.ConnectError("refused"))
    body, page = await _both(city, city.admin, today.strftime("%Y-%m"))
    tables = html_tables(page)
    assert "banks" not in tables
    assert 'id="financing-unavailable"' in page and "融资服务暂未应答" in page
    headline = {
        c.attrs["data-field"]: int(c.text) for r in tables["headline"] for c in r.cells if "data-field" in c.attrs
    }
    assert headline["stalled_at_end"] == body["total"]["stalled_at_end"]


async def test_names_in_the_ledger_cannot_inject_markup(city: Registry, today: date) -> None:
    developer = await city.developer()
    hostile = await city.project(developer_id=developer["id"], code="B-XSS", name='<img src="http://169.254.169.254/">')
    await report(city, str(hostile["id"]), week(today), working=False)
    _, page = await _both(city, city.admin, today.strftime("%Y-%m"))
    assert "<img" not in page and "&lt;img" in page


async def test_json_stays_the_default_and_a_browser_gets_the_page(city: Registry, today: date) -> None:
    params = {"month": today.strftime("%Y-%m")}
    for accept, media_type in (
        ({}, "application/json"),
        ({"Accept": "*/*"}, "application/json"),
        (BROWSER, "text/html; charset=utf-8"),
        ({"Accept": "text/csv"}, "text/csv; charset=utf-8"),
    ):
        answer = await city.client.get("/v1/reports/monthly", params=params, headers={**city.admin, **accept})
        assert answer.headers["content-type"] == media_type, accept
    future = await city.client.get(
        "/v1/reports/monthly", params={"month": f"{today.year + 1}-01"}, headers={**city.admin, **PDF}
    )
    assert future.status_code == 422 and future.json()["type"] == "urn:handover:problem:future-period"


async def test_the_pdf_embeds_its_fonts_and_has_every_section(city: Registry, today: date, tmp_path: Path) -> None:
    answer = await city.client.get(
        "/v1/reports/monthly", params={"month": today.strftime("%Y-%m")}, headers={**city.admin, **PDF}
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-")
    pdf = tmp_path / "bulletin.pdf"
    pdf.write_bytes(answer.content)
    fonts = poppler("pdffonts", pdf).splitlines()[2:]
    cjk = [line for line in fonts if re.search(r"Noto-?S(erif|ans)-?CJK-?SC", line)]
    assert cjk, fonts
    # name type encoding emb sub uni object ID: every font is embedded.
    assert all(line.split()[-5] == "yes" for line in fonts), fonts
    text = poppler("pdftotext", pdf, "-layout")
    for words in (
        "市保交房工作专班办公室",
        "保交房工作情况的通报",
        "一、总体情况",
        "二、存在的问题",
        "三、工作要求",
        "ICBC-JN",
        "1,750,000.25",
        "停工花园",
        "质量安全监管",
        "协调事项",
        "逾期未整改问题",
        "市水务集团",
    ):
        assert words in text, words
    pages = int(re.search(r"Pages:\s+(\d+)", poppler("pdfinfo", pdf)).group(1))  # type: ignore[union-attr]
    assert pages >= 2
    # GB/T 9704 page numbers at each page's foot: "— 1 —", "— 2 —", ...
    numbers = [int(n) for n in re.findall(r"—\s*(\d+)\s*—", text)]
    assert numbers == list(range(1, pages + 1))


def test_pdfs_take_turns_with_the_font_configurations(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each PDF borrows a font configuration (Pango's font map is not shared between threads) and gives it back,
    so the next PDF finds its fonts already loaded instead of loading them again."""
    configurations: queue.SimpleQueue[object] = queue.SimpleQueue()
    monkeypatch.setattr(render, "_FONT_CONFIGURATIONS", configurations)
    page = '<!DOCTYPE html><html lang="zh-CN"><body><p>保交房工作情况的通报</p></body></html>'
    assert render.pdf(page).startswith(b"%PDF-")
    first = configurations.get_nowait()
    configurations.put(first)
    assert render.pdf(page).startswith(b"%PDF-")
    assert configurations.get_nowait() is first
    assert configurations.empty()


def test_font_configurations_beyond_those_kept_are_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each configuration holds the CJK faces: after a burst of PDFs only ``KEEP_FONTS`` stay."""
    configurations: queue.SimpleQueue[object] = queue.SimpleQueue()
    monkeypatch.setattr(render, "_FONT_CONFIGURATIONS", configurations)
    monkeypatch.setattr(render, "KEEP_FONTS", 1)
    page = '<!DOCTYPE html><html lang="zh-CN"><body><p>保交房工作情况的通报</p></body></html>'
    assert render.pdf(page).startswith(b"%PDF-")
    kept_meanwhile = object()  # what another PDF, made at the same time, gave back first
    configurations.put(kept_meanwhile)
    assert render.pdf(page).startswith(b"%PDF-")  # borrows the first one, finds the pool full, drops it
    assert configurations.get_nowait() is kept_meanwhile
    assert configurations.empty()


async def test_without_its_fonts_the_pdf_is_refused_and_the_rest_works(
    registry_settings: Callable[..., RegistrySettings], today: date
) -> None:
    settings = registry_settings(bulletin_fonts=["Handover No Such Font"])
    app = create_registry_app(settings)
    async with running(app) as client:
        registry = Registry(client, settings.database_url, app)
        params = {"month": today.strftime("%Y-%m")}
        refused = await client.get("/v1/reports/monthly", params=params, headers={**registry.admin, **PDF})
        assert refused.status_code == 503
        assert refused.json()["type"] == "urn:handover:problem:fonts-missing"
        assert "fonts-noto-cjk" in refused.json()["detail"]
        page = await client.get("/v1/reports/monthly", params=params, headers={**registry.admin, **HTML})
        assert page.status_code == 200
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        check = ready.json()["checks"]["bulletin:fonts"][0]
        assert check["status"] == "warn" and "fonts-noto-cjk" in check["output"]


@pytest.mark.processes
async def test_the_charts_render_in_a_real_browser(city: Registry, today: date, tmp_path: Path) -> None:
    """The page as a leader's browser shows it: both charts drawn with their tier colours, nothing fetched."""
    browser.require()
    answer = await city.client.get(
        "/v1/reports/monthly", params={"month": today.strftime("%Y-%m")}, headers={**city.admin, **HTML}
    )
    document = tmp_path / "bulletin.html"
    document.write_bytes(answer.content)
    with browser.browser() as page:
        page.open(document.as_uri())
        page.wait_for("#chart-tiers svg")
        for chart in ("chart-tiers", "chart-trend"):
            element = page.driver.find_element(browser.By.ID, chart)
            assert element.size["width"] > 300 and element.size["height"] > 150, element.size
        tiers = page.driver.find_element(browser.By.ID, "chart-tiers")
        shot = Image.open(io.BytesIO(tiers.screenshot_as_png)).convert("RGB")
        colours = Counter(shot.get_flattened_data())
        # The red and orange bars of the two districts, in the tiers' colours.
        assert sum(n for rgb, n in colours.items() if _near(rgb, (0xC8, 0x16, 0x1D))) > 500
        assert sum(n for rgb, n in colours.items() if _near(rgb, (0xF0, 0x8A, 0x24))) > 500
        labels = page.driver.find_elements(browser.By.CSS_SELECTOR, "#chart-tiers svg text")
        assert {"东湖区", "西山区"} <= {label.text for label in labels}
        page.screenshot(tmp_path / "bulletin.png")
        assert page.outside_requests() == []
        assert page.console_errors() == []


def _near(rgb: tuple[int, int, int], target: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 12 for a, b in zip(rgb, target, strict=True))


async def test_a_named_list_prints_its_first_rows_and_counts_the_rest(
    registry_settings: Callable[..., RegistrySettings], financing: respx.MockRouter, today: date
) -> None:
    settings = registry_settings(financing_url=FINANCING, bulletin_list_limit=2)
    app = create_registry_app(settings)
    async with running(app) as client:
        registry = Registry(client, settings.database_url, app)
        developer = await registry.developer()
        for n in range(5):
            made = await registry.project(developer_id=developer["id"], code=f"L-{n}", name=f"停工{n}")
            await report(registry, str(made["id"]), week(today), working=False)
        body, page = await _both(registry, registry.admin, today.strftime("%Y-%m"))
    assert len(body["stalled_projects"]) == 5
    shown = [r.attrs["data-code"] for r in html_tables(page)["stalled"] if "data-code" in r.attrs]
    assert shown == [p["code"] for p in body["stalled_projects"][:2]]
    assert "（三）月末停工项目（5个）" in page
    assert "另有3个未列出" in page

"""The approvals figures of the weekly and monthly reports, checked against figures counted here."""

from __future__ import annotations

import math
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from tests.registry.approvals_support import added, city_day, counted, create, move, run_job
from tests.registry.conftest import Registry
from tests.registry.test_reports import CSV, parse_csv
from tests.support import factories
from tests.support.apps import auth


async def test_the_reports_count_approvals_by_district_and_item(registry: Registry) -> None:
    home = await registry.project()
    away = await registry.project(district=factories.OTHER_DISTRICT)
    tolerance = {
        "missing": [{"name": "监理合同", "due_on": "2026-10-20"}],
        "commitment": {"signer": "张伟", "signed_on": "2026-10-09"},
    }
    with city_day(date(2026, 10, 28)):
        quick = await create(registry, home["id"], received_on="2026-09-28")
        late = await create(registry, home["id"], received_on="2026-09-28")
        refused = await create(registry, home["id"], received_on="2026-10-08")
        september = await create(registry, home["id"], received_on="2026-09-01")
        tolerated = await create(
            registry, home["id"], item="presale_permit", received_on="2026-10-09", tolerance=tolerance
        )
        await create(registry, away["id"], received_on="2026-09-01")
        await create(registry, away["id"], received_on="2026-10-13")
        for case, decision, on in (
            (quick, "approve", "2026-10-14"),
            (late, "approve", "2026-10-27"),
            (refused, "refuse", "2026-10-20"),
            (september, "approve", "2026-09-30"),
            (tolerated, "approve_with_tolerance", "2026-10-16"),
        ):
            await move(registry, case["id"], "accept", on=case["received_on"])
            await move(registry, case["id"], decision, on=on, reason="不符合条件" if decision == "refuse" else None)
        await run_job(registry, date(2026, 10, 21))
        weekly = await registry.client.get("/v1/reports/weekly", params={"week": "2026-W42"}, headers=auth())
    with city_day(date(2026, 11, 2)):
        monthly = await registry.client.get("/v1/reports/monthly", params={"month": "2026-10"}, headers=auth())
        table = parse_csv(
            await registry.client.get(
                "/v1/reports/monthly", params={"month": "2026-10", "section": "approvals"}, headers={**auth(), **CSV}
            )
        )
        officer = await registry.client.get(
            "/v1/reports/monthly",
            params={"month": "2026-10"},
            headers=auth("district_officer", district=factories.OTHER_DISTRICT),
        )

    assert weekly.status_code == 200, weekly.text
    rows = {r["district"]: r for r in weekly.json()["districts"]}
    # Week 42 (12 to 18 October): the quick and tolerated cases decided at home, one case received away.
    assert (rows[factories.DISTRICT]["approvals_received"], rows[factories.DISTRICT]["approvals_decided"]) == (0, 2)
    assert (
        rows[factories.OTHER_DISTRICT]["approvals_received"],
        rows[factories.OTHER_DISTRICT]["approvals_decided"],
    ) == (1, 0)
    assert (weekly.json()["total"]["approvals_received"], weekly.json()["total"]["approvals_decided"]) == (1, 2)

    assert monthly.status_code == 200, monthly.text
    approvals = monthly.json()["approvals"]
    used = [
        counted(date(2026, 9, 28), date(2026, 10, 14)),
        counted(date(2026, 9, 28), date(2026, 10, 27)),
        counted(date(2026, 10, 8), date(2026, 10, 20)),
    ]
    within = sum(
        [
            date(2026, 10, 14) <= added(date(2026, 9, 28), 15),
            date(2026, 10, 27) <= added(date(2026, 9, 28), 15),
            date(2026, 10, 20) <= added(date(2026, 10, 8), 15),
        ]
    )
    assert within == 2
    average = (Decimal(sum(used)) / 3).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    p90 = sorted(used)[math.ceil(0.9 * len(used)) - 1]
    share = (Decimal(100 * within) / 3).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    tolerated_used = counted(date(2026, 10, 9), date(2026, 10, 16))
    assert approvals == [
        {
            "district": factories.DISTRICT,
            "district_name": "东湖区",
            "item": "construction_permit",
            "decided": 3,
            "average_working_days": str(average),
            "p90_working_days": p90,
            "within_limit_pct": str(share),
            "open_overdue": 0,
            "suspended": 0,
        },
        {
            "district": factories.DISTRICT,
            "district_name": "东湖区",
            "item": "presale_permit",
            "decided": 1,
            "average_working_days": f"{tolerated_used}.0",
            "p90_working_days": tolerated_used,
            "within_limit_pct": "100.0",
            "open_overdue": 0,
            "suspended": 1,
        },
        {
            "district": factories.OTHER_DISTRICT,
            "district_name": "西山区",
            "item": "construction_permit",
            "decided": 0,
            "average_working_days": None,
            "p90_working_days": None,
            "within_limit_pct": None,
            "open_overdue": 1,
            "suspended": 0,
        },
    ]
    assert [(r["district"], r["item"], r["decided"], r["average_working_days"]) for r in table] == [
        (factories.DISTRICT, "construction_permit", "3", str(average)),
        (factories.DISTRICT, "presale_permit", "1", f"{tolerated_used}.0"),
        (factories.OTHER_DISTRICT, "construction_permit", "0", ""),
    ]
    assert [r["district"] for r in officer.json()["approvals"]] == [factories.OTHER_DISTRICT]

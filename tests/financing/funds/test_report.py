"""The policy-funds section of the financing report: figures as of the month's end by program and district, the
month's payments and refused attempts on the city's days, and the year's target; checked against sums the
test makes itself from what it recorded."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from services.common import clock
from tests.financing.conftest import DISTRICT, OTHER_DISTRICT
from tests.financing.funds.conftest import Funds
from tests.support.apps import auth

USES = ("construction", "materials", "current_wages", "equipment", "utilities", "other")
RULES = ("use_not_eligible", "liability_before_cutover", "exceeds_allocation")
JUNE_START, JUNE_END = date(2025, 6, 1), date(2025, 6, 30)
# Every day below is past by then; refused attempts are made at their own instants.
RECORDED_AT = datetime(2025, 7, 5, 2, 0, tzinfo=UTC)


@dataclass
class Paid:
    program: str
    district: str
    use: str
    amount: Decimal
    paid_on: date
    reversed: bool = False


@dataclass
class Refused:
    program: str
    district: str
    rule: str
    city_day: date


def _pct(paid: Decimal, allocated: Decimal) -> str | None:
    return None if allocated == 0 else f"{(paid * 100 / allocated).quantize(Decimal('0.01'), ROUND_DOWN):f}"


def _money(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01')):f}"


def _expected(
    allocations: list[tuple[str, str, str, Decimal, date]],
    payments: list[Paid],
    refusals: list[Refused],
    program: str | None,
    district: str | None,
) -> dict[str, Any]:
    """The figures of June as of its end, for one program (or all) in one district (or all), summed here."""

    def chosen(p: str, d: str) -> bool:
        return (program is None or p == program) and (district is None or d == district)

    allocated = [(p, d, project, a) for p, d, project, a, on in allocations if on <= JUNE_END and chosen(p, d)]
    paid = [x for x in payments if not x.reversed and x.paid_on <= JUNE_END and chosen(x.program, x.district)]
    by_use = defaultdict(Decimal)
    for x in paid:
        by_use[x.use] += x.amount
    refused = defaultdict(int)
    for r in refusals:
        if JUNE_START <= r.city_day <= JUNE_END and chosen(r.program, r.district):
            refused[r.rule] += 1
    total_allocated = sum((a for *_, a in allocated), Decimal(0))
    total_paid = sum((x.amount for x in paid), Decimal(0))
    return {
        "allocated_amount": _money(total_allocated),
        "paid_amount": _money(total_paid),
        "paid_in_month": _money(sum((x.amount for x in paid if x.paid_on >= JUNE_START), Decimal(0))),
        "paid_by_use": [{"use": use, "amount": _money(by_use[use])} for use in USES],
        "spent_pct": _pct(total_paid, total_allocated),
        "projects": len({project for _, _, project, _ in allocated}),
        "refused_in_month": [{"rule": rule, "attempts": refused[rule]} for rule in RULES],
    }


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in _expected([], [], [], None, None)}


async def test_the_policy_funds_of_a_month(funds: Funds) -> None:
    bank = await funds.financing.bank()
    with clock.frozen(RECORDED_AT):
        a = await funds.program(
            name="A",
            year=2025,
            granted_amount="1000000.00",
            granted_on="2025-05-10",
            cutover_date="2024-01-01",
            paying_bank=bank,
        )
        b = await funds.program(
            name="B",
            source="provincial_relief",
            year=2025,
            granted_amount="500000.00",
            granted_on="2025-06-05",
            cutover_date="2024-06-01",
            eligible_uses=["construction", "utilities"],
        )
        await funds.program(name="C", year=2025, granted_amount="9.00", granted_on="2025-07-02")
        target = {"amount_sought": "2000000.00", "projects_to_support": 4}
        assert (await funds.client.put("/v1/fund-targets/2025", json=target, headers=funds.admin)).status_code == 200
        p1, p2 = funds.financing.project(district=DISTRICT), funds.financing.project(district=DISTRICT)
        p3 = funds.financing.project(district=OTHER_DISTRICT)
        allocations = [
            ("A", DISTRICT, p1["id"], Decimal("300000.00"), date(2025, 5, 15)),
            ("A", OTHER_DISTRICT, p3["id"], Decimal("200000.00"), date(2025, 6, 10)),
            ("B", DISTRICT, p1["id"], Decimal("100000.00"), date(2025, 6, 6)),
            ("B", DISTRICT, p2["id"], Decimal("50000.00"), date(2025, 6, 30)),
            ("A", DISTRICT, p2["id"], Decimal("70000.00"), date(2025, 7, 1)),
        ]
        programs = {"A": a["id"], "B": b["id"]}
        projects = {p1["id"]: p1, p2["id"]: p2, p3["id"]: p3}
        made = {}
        for name, _, project_id, amount, on in allocations:
            made[name, project_id, on] = await funds.allocation(
                programs[name], str(amount), projects[project_id], allocated_on=on.isoformat()
            )
        a1 = made["A", p1["id"], date(2025, 5, 15)]["id"]
        a3 = made["A", p3["id"], date(2025, 6, 10)]["id"]
        b1 = made["B", p1["id"], date(2025, 6, 6)]["id"]
        payments = [
            (a1, Paid("A", DISTRICT, "construction", Decimal("100000.00"), date(2025, 5, 20))),
            # The last day of May and the first of June: only the second is paid in the month.
            (a1, Paid("A", DISTRICT, "materials", Decimal("5000.00"), date(2025, 5, 31))),
            (a1, Paid("A", DISTRICT, "construction", Decimal("7000.00"), date(2025, 6, 1))),
            (a1, Paid("A", DISTRICT, "materials", Decimal("50000.00"), date(2025, 6, 15))),
            (a1, Paid("A", DISTRICT, "current_wages", Decimal("20000.00"), date(2025, 6, 16), reversed=True)),
            (a1, Paid("A", DISTRICT, "construction", Decimal("10000.00"), date(2025, 7, 2))),
            (a3, Paid("A", OTHER_DISTRICT, "construction", Decimal("200000.00"), date(2025, 6, 12))),
            (b1, Paid("B", DISTRICT, "utilities", Decimal("30000.00"), date(2025, 6, 7))),
        ]
        for allocation_id, paid in payments:
            on = paid.paid_on.isoformat()
            response = await funds.pay(
                allocation_id, str(paid.amount), headers=funds.admin, use=paid.use, paid_on=on, liability_incurred_on=on
            )
            assert response.status_code == 201, response.text
            if paid.reversed:
                assert (await funds.reverse(response.json()["id"])).status_code == 200

    refusals = [
        # 00:30 on 1 June in the city is still 31 May in UTC; 23:30 on 31 May in the city is in May.
        (datetime(2025, 5, 31, 16, 30, tzinfo=UTC), a1, {"use": "equipment", "paid_on": "2025-06-01"}),
        (
            datetime(2025, 5, 31, 15, 30, tzinfo=UTC),
            a1,
            {"liability_incurred_on": "2023-12-31", "paid_on": "2025-05-31"},
        ),
        (datetime(2025, 6, 20, 3, 0, tzinfo=UTC), a3, {"amount": "300000.00", "paid_on": "2025-06-20"}),
        (
            datetime(2025, 6, 30, 15, 59, tzinfo=UTC),
            b1,
            {"liability_incurred_on": "2024-05-31", "paid_on": "2025-06-30"},
        ),
        (datetime(2025, 6, 30, 16, 30, tzinfo=UTC), b1, {"use": "materials", "paid_on": "2025-07-01"}),
    ]
    refused = []
    program_of = {a1: ("A", DISTRICT), a3: ("A", OTHER_DISTRICT), b1: ("B", DISTRICT)}
    for at, allocation_id, fields in refusals:
        with clock.frozen(at):
            response = await funds.pay(allocation_id, headers=funds.admin, **{"amount": "1.00", **fields})
        assert response.status_code in (409, 422), response.text
        rule = response.json()["type"].rsplit(":", 1)[1].replace("-", "_")
        refused.append(Refused(*program_of[allocation_id], rule, clock.city_day(at)))
    assert sorted(r.rule for r in refused) == sorted(
        [
            "use_not_eligible",
            "liability_before_cutover",
            "exceeds_allocation",
            "liability_before_cutover",
            "use_not_eligible",
        ]
    )
    paid = [p for _, p in payments]

    with clock.frozen(RECORDED_AT):
        report = (await funds.get("/v1/reports/financing", month="2025-06")).json()["policy_funds"]
        as_officer = (
            await funds.get(
                "/v1/reports/financing", headers=auth("district_officer", district=OTHER_DISTRICT), month="2025-06"
            )
        ).json()["policy_funds"]
        as_bank = (await funds.get("/v1/reports/financing", headers=auth("bank", bank=bank), month="2025-06")).json()[
            "policy_funds"
        ]
        may = (await funds.get("/v1/reports/financing", month="2025-05")).json()["policy_funds"]
        policy_csv = await funds.get(
            "/v1/reports/financing",
            headers={**funds.admin, "Accept": "text/csv"},
            month="2025-06",
            section="policy_funds",
        )
        target_csv = await funds.get(
            "/v1/reports/financing",
            headers={**funds.admin, "Accept": "text/csv"},
            month="2025-06",
            section="fund_target",
        )

    assert [p["name"] for p in report["programs"]] == ["A", "B"]
    for row in report["programs"]:
        name = row["name"]
        assert row["granted_amount"] == {"A": "1000000.00", "B": "500000.00"}[name]
        assert _figures(row) == _expected(allocations, paid, refused, name, None), name
        for district_row in row["districts"]:
            assert _figures(district_row) == _expected(allocations, paid, refused, name, district_row["district"])
    assert [d["district"] for d in report["programs"][0]["districts"]] == [DISTRICT, OTHER_DISTRICT]
    assert report["total"]["granted_amount"] == "1500000.00"
    assert _figures(report["total"]) == _expected(allocations, paid, refused, None, None)
    # The sums the test made, spelled out once: p1 took money from both programs and counts once.
    total = report["total"]
    assert (total["allocated_amount"], total["paid_amount"], total["paid_in_month"]) == (
        "650000.00",
        "392000.00",
        "287000.00",
    )
    # 392000 / 650000 is 60.307...%: rounded down, never up to a share not yet spent.
    assert (total["spent_pct"], total["projects"]) == ("60.30", 3)
    assert [r["attempts"] for r in total["refused_in_month"]] == [1, 1, 1]
    assert report["target"] | {"updated_at": None} == {
        "year": 2025,
        "amount_sought": "2000000.00",
        "projects_to_support": 4,
        "programs": 2,
        "amount_granted": "1500000.00",
        "amount_allocated": "650000.00",
        "amount_paid": "392000.00",
        "projects_supported": 3,
        "updated_at": None,
    }

    assert [p["name"] for p in as_officer["programs"]] == ["A", "B"]
    assert [d["district"] for p in as_officer["programs"] for d in p["districts"]] == [OTHER_DISTRICT]
    assert _figures(as_officer["total"]) == _expected(allocations, paid, refused, None, OTHER_DISTRICT)
    assert as_officer["target"]["amount_granted"] == "1500000.00"
    assert [p["name"] for p in as_bank["programs"]] == ["A"]
    assert _figures(as_bank["total"]) == _expected(allocations, paid, refused, "A", None)
    assert as_bank["target"] is None
    assert [p["name"] for p in may["programs"]] == ["A"]
    assert may["target"]["amount_granted"] == "1000000.00"

    lines = list(csv.reader(io.StringIO(policy_csv.content.decode("utf-8-sig"))))
    assert policy_csv.headers["content-disposition"] == 'attachment; filename="financing-2025-06-policy-funds.csv"'
    header = lines[0]
    assert header[:11] == [
        "program_id",
        "program",
        "source",
        "year",
        "district",
        "granted_amount",
        "allocated_amount",
        "paid_amount",
        "paid_in_month",
        "spent_pct",
        "projects",
    ]
    assert [line[:6] for line in lines[1:]] == [
        [a["id"], "A", "special_loan", "2025", "all", "1000000.00"],
        [a["id"], "A", "special_loan", "2025", DISTRICT, ""],
        [a["id"], "A", "special_loan", "2025", OTHER_DISTRICT, ""],
        [b["id"], "B", "provincial_relief", "2025", "all", "500000.00"],
        [b["id"], "B", "provincial_relief", "2025", DISTRICT, ""],
        ["total", "", "", "", "all", "1500000.00"],
    ]
    expected_a = _expected(allocations, paid, refused, "A", None)
    line_a = dict(zip(header, lines[1], strict=True))
    assert (line_a["allocated_amount"], line_a["paid_amount"], line_a["spent_pct"]) == (
        expected_a["allocated_amount"],
        expected_a["paid_amount"],
        expected_a["spent_pct"],
    )
    assert [line_a[f"paid_{use}"] for use in USES] == [u["amount"] for u in expected_a["paid_by_use"]]
    assert [line_a[f"refused_{rule}"] for rule in RULES] == [str(r["attempts"]) for r in expected_a["refused_in_month"]]
    target_lines = list(csv.reader(io.StringIO(target_csv.content.decode("utf-8-sig"))))
    assert target_lines == [
        [
            "year",
            "amount_sought",
            "amount_granted",
            "projects_to_support",
            "projects_supported",
            "programs",
            "amount_allocated",
            "amount_paid",
        ],
        ["2025", "2000000.00", "1500000.00", "4", "3", "2", "650000.00", "392000.00"],
    ]

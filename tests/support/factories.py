"""Payload factories: valid by default, overridable field by field."""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta
from typing import Any

from services.common import clock
from services.common.credit_code import ALPHABET, check_character

_counter = itertools.count(1)
DISTRICT = "990101"
OTHER_DISTRICT = "990102"


def credit_code(seed: int | None = None) -> str:
    rng = random.Random(seed if seed is not None else next(_counter) * 7919)
    body = "91" + "".join(rng.choice("0123456789") for _ in range(6)) + "".join(rng.choice(ALPHABET) for _ in range(9))
    return body + check_character(body)


def developer(**overrides: Any) -> dict[str, Any]:
    n = next(_counter)
    return {"name": f"示范置业有限公司{n}", "credit_code": credit_code(n), **overrides}


def project(developer_id: str, **overrides: Any) -> dict[str, Any]:
    n = next(_counter)
    return {
        "code": f"P-{n:06d}",
        "name": f"锦绣花园{n}期",
        "district": DISTRICT,
        "developer_id": developer_id,
        "total_units": 800,
        "sold_units": 600,
        "delivered_units": 0,
        "contract_delivery_date": (clock.today() + timedelta(days=200)).isoformat(),
        "status": "under_construction",
        "progress_pct": "40.0",
        "remaining_cost": "125000000.00",
        "own_funds_available": "30000000.00",
        "responsible_unit": "东湖区住建局",
        "responsible_person": "张三",
        **overrides,
    }


def calendar_year(year: int, **overrides: Any) -> dict[str, Any]:
    """A year's holiday notice: National Day, 1 to 7 October, off and the Sunday before it worked."""
    october_first = date(year, 10, 1)
    return {
        "holidays": [date(year, 10, d).isoformat() for d in range(1, 8)],
        "make_up_workdays": [(october_first - timedelta(days=october_first.weekday() + 1)).isoformat()],
        "source": {
            "title": f"国务院办公厅关于{year}年部分节假日安排的通知",
            "number": f"国办发明电〔{year - 1}〕9号",
            "date": (clock.today() - timedelta(days=1)).isoformat(),
        },
        **overrides,
    }


def approval(**overrides: Any) -> dict[str, Any]:
    """A body for ``POST /v1/projects/{id}/approvals``: a construction permit received on 2026-09-28."""
    return {
        "item": "construction_permit",
        "lead_department": "市住建局",
        "co_departments": ["市自然资源局"],
        "received_on": "2026-09-28",
        **overrides,
    }

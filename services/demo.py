"""``make demo``: load a demo city through the public APIs, as its users would have built it over a year.

Districts (from configuration), developers, about two hundred projects with a year of weekly dispatch
reports, stalls and resumptions, disputes, plans, whitelist entries pushed to several banks, which approve
or decline, open credit lines and disburse, and two policy-fund programs allocated to projects and paid out
(one payment refused by the rules). Then the city asks the risk service a sample question (``SAMPLE_QUESTION``):
how should 300 million yuan of special loans be split so that the most sold homes get delivered? An example bank
receiver (``services.examples.bank_receiver``)
is registered for one bank and logs every verified webhook to ``var/bank-receiver.jsonl``.

Everything goes through HTTP with the tokens each role would hold, so the demo also exercises the flows; the
ledger and the weekly dispatch sheets come in as a city's would, through the spreadsheet imports.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import csv
import io
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from services.common import clock
from services.common.auth import Role, issue_token
from services.common.credit_code import ALPHABET, check_character
from services.common.days import week_of
from services.common.settings import ServiceSettings
from services.financing.events.catalog import WebhookEventType
from services.local_logs import log_file

CODE_PREFIX = "DEMO-"
LEDGER_COLUMNS = [
    "code",
    "name",
    "district",
    "developer_name",
    "developer_credit_code",
    "total_units",
    "sold_units",
    "contract_delivery_date",
    "status",
    "progress_pct",
    "remaining_cost",
    "own_funds_available",
    "responsible_unit",
    "responsible_person",
]
REPORT_COLUMNS = ["code", "week", "progress_pct", "working", "workers_on_site", "issues", "actions"]
BUSY_RETRIES = 5
REQUESTS_IN_FLIGHT = 8
STRAND: contextvars.ContextVar[str] = contextvars.ContextVar("strand", default="")
"""Which strand of the loading (``Demo.load``) a request belongs to: each has its own gates."""
"""Requests the loader keeps in flight to each service: enough to keep a service busy while the other steps'
answers travel, few enough that an embedded database's writers do not wait out its busy timeout."""
BANKS = [
    ("ICBC", "工商银行示范市分行"),
    ("CCB", "建设银行示范市分行"),
    ("ABC", "农业银行示范市分行"),
    ("BOC", "中国银行示范市分行"),
    ("BOCOM", "交通银行示范市分行"),
]
RECEIVER_BANK = "ICBC"
# Every type a bank endpoint may take, so the example receiver logs them all.
EVENT_TYPES = [t.value for t in WebhookEventType]
DISPOSAL_PATHS = ["self_rescue", "merger_acquisition", "government_takeover"]
SAMPLE_QUESTION = {"budget": "300000000.00", "all": True, "step": "1000000.00"}
"""The allocation advice the demo asks for: 300 million yuan among every project, in steps of a million."""
NAMES = ["锦绣", "翠湖", "滨江", "云栖", "金域", "书香", "阳光", "悦府", "天悦", "和园", "星河", "澜庭"]
SUFFIXES = ["花园", "华府", "名苑", "雅居", "公馆", "新城"]


def credit_code(rng: random.Random) -> str:
    """A unified social credit code with a correct check character."""
    body = "91" + "".join(rng.choice("0123456789") for _ in range(6)) + "".join(rng.choice(ALPHABET) for _ in range(9))
    return body + check_character(body)


class Demo:
    def __init__(self, registry: str, financing: str, seed: int, projects: int) -> None:
        settings = ServiceSettings()
        self.secret = settings.jwt_secret
        self.registry = httpx.AsyncClient(base_url=registry, timeout=60)
        self.financing = httpx.AsyncClient(base_url=financing, timeout=60)
        self.seed = seed
        self.rng = random.Random(seed)
        self.count = projects
        self.gates: dict[tuple[int, str], asyncio.Semaphore] = {}
        self.admin = self.headers(Role.city_admin, "demo-admin")
        self.started = time.monotonic()

    def headers(self, role: Role, sub: str, *, district: str | None = None, bank: str | None = None) -> dict[str, str]:
        token = issue_token(secret=self.secret, sub=sub, role=role, district=district, bank=bank)
        return {"Authorization": f"Bearer {token}"}

    def step_rng(self, step: str) -> random.Random:
        """The random numbers of one step, drawn from the seed and the step's name: steps that run side by side
        draw from their own, so what each one loads does not depend on how their requests interleave."""
        return random.Random(f"{self.seed}/{step}")

    def gate(self, client: httpx.AsyncClient) -> asyncio.Semaphore:
        """At most ``REQUESTS_IN_FLIGHT`` requests at a time to each service from each strand of the loading: a
        strand of short steps one after another is not queued behind the hundreds of requests of another."""
        key = (id(client), STRAND.get())
        return self.gates.setdefault(key, asyncio.Semaphore(REQUESTS_IN_FLIGHT))

    async def call(self, client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> Any:
        for _ in range(BUSY_RETRIES):
            async with self.gate(client):
                response = await client.request(method, url, **kwargs)
            # A busy embedded database asks to be retried (503 with Retry-After); the write changed nothing.
            if response.status_code != 503 or "retry-after" not in response.headers:
                break
            await asyncio.sleep(float(response.headers["retry-after"]))
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {url} answered {response.status_code}: {response.text[:300]}")
        return response.json() if response.content else None

    async def each(self, items: Iterable[Any], action: Callable[[Any], Awaitable[Any]]) -> list[Any]:
        return list(await asyncio.gather(*(action(item) for item in items)))

    async def already_loaded(self) -> bool:
        page = await self.call(
            self.registry, "GET", "/v1/projects", params={"q": CODE_PREFIX, "limit": 1}, headers=self.admin
        )
        return bool(page["items"])

    def said(self, message: str) -> None:
        """One line of the demo's progress, with the seconds since loading began."""
        print(f"  {time.monotonic() - self.started:5.1f} s  {message}", flush=True)

    async def load(self, receiver_port: int | None = None) -> subprocess.Popen[bytes] | None:
        """Load the city; return the example receiver's process when given a port to start it on.

        After the ledger, three strands run side by side, each printing its steps as they finish: the weekly
        sheets, then approvals, inspections and coordination items, one after the other (the daily check that
        ends each step acts on every case, finding and item there is, and a stop-work order refuses the working
        weeks after it); disputes, plans and task forces; and financing's banks, whitelist and policy funds.
        """
        districts = [
            d["code"] for d in (await self.call(self.registry, "GET", "/v1/districts", headers=self.admin))["items"]
        ]
        # The ledger comes in as a city's spreadsheet would (POST /v1/projects/import): the developers are
        # registered by it, from their names and credit codes.
        developers = [(f"示范{NAMES[i % len(NAMES)]}置业有限公司{i + 1}", credit_code(self.rng)) for i in range(24)]
        ledger = [self.project_row(i, districts, developers) for i in range(self.count)]
        await self.import_sheet("/v1/projects/import", LEDGER_COLUMNS, ledger, self.admin)
        projects = await self.demo_projects()
        self.said(f"{len(projects)} projects in {len(districts)} districts, imported from one ledger sheet")
        financing = asyncio.ensure_future(self.financing_side(projects, receiver_port))
        try:
            await asyncio.gather(self.supervision(projects), self.records(projects), financing)
        except BaseException:
            # Another strand failed: a financing strand still running stops its receiver when cancelled; one that
            # had finished handed its receiver over, and it is stopped here (else it would hold its port).
            financing.cancel()
            if financing.done() and not financing.cancelled() and financing.exception() is None:
                stop(financing.result())
            raise
        return financing.result()

    async def supervision(self, projects: list[dict[str, Any]]) -> None:
        STRAND.set("supervision")
        await self.weekly_reports(projects)
        self.said("a year of weekly sheets, imported by each district")
        await self.approvals(projects[:48])
        self.said("approval cases in every state, some of them late")
        await self.inspections(projects[48:78])
        self.said("inspections with findings in every state, some late, one stop-work order")
        await self.coordination_items(projects[:40])
        self.said("coordination items (协调事项) in every state, some late and escalated")

    async def records(self, projects: list[dict[str, Any]]) -> None:
        """Disputes, plans and task forces: every request stands alone, so they all go out at once (a dispute
        resolved already is created with its resolution, as a city entering its history would)."""
        STRAND.set("records")
        rng = self.step_rng("disputes")
        disputes = [(project, self.dispute(rng)) for project in projects for _ in range(rng.choice([0, 0, 1, 1, 2, 3]))]
        rng = self.step_rng("plans")
        plans = [(project, rng.choice(DISPOSAL_PATHS)) for project in projects[::2]]
        await asyncio.gather(
            self.each(
                disputes,
                lambda pair: self.call(
                    self.registry, "POST", f"/v1/projects/{pair[0]['id']}/disputes", headers=self.admin, json=pair[1]
                ),
            ),
            self.each(plans, lambda pair: self.plan(*pair)),
            self.each(projects, self.task_force),
        )
        self.said("disputes, plans and task forces")

    async def financing_side(
        self, projects: list[dict[str, Any]], receiver_port: int | None
    ) -> subprocess.Popen[bytes] | None:
        """The banks, the example receiver for one of them (started before anything it should hear of), the
        whitelist flows and the policy funds; the receiver is stopped again if loading fails."""
        STRAND.set("financing")
        await self.each(
            BANKS,
            lambda b: self.call(
                self.financing, "POST", "/v1/banks", headers=self.admin, json={"code": b[0], "name": b[1]}
            ),
        )
        receiver = None
        try:
            if receiver_port is not None:
                secret = await self.register_receiver(receiver_port)
                receiver = start_receiver(secret, receiver_port, Path("var") / "bank-receiver.jsonl")
            await self.financing_flows(projects)
            self.said(f"whitelist entries pushed to {len(BANKS)} banks, decisions, credit lines and disbursements")
            await self.policy_funds(projects)
            self.said("two policy-fund programs with allocations and payments, and one payment refused")
        except BaseException:
            stop(receiver)
            raise
        return receiver

    async def import_sheet(
        self, path: str, header: list[str], rows: list[list[Any]], headers: dict[str, str]
    ) -> dict[str, Any]:
        """Import rows as a CSV sheet (UTF-8 with a byte-order mark, as a spreadsheet program saves it)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(["" if v is None else v for v in row] for row in rows)
        answer = await self.call(
            self.registry,
            "POST",
            path,
            params={"dry_run": "false"},
            content=("\ufeff" + buffer.getvalue()).encode("utf-8"),
            headers={**headers, "Content-Type": "text/csv; charset=utf-8"},
        )
        return dict(answer)

    async def demo_projects(self) -> list[dict[str, Any]]:
        """Every demo project, in code order."""
        projects: list[dict[str, Any]] = []
        cursor = None
        while True:
            params = {"q": CODE_PREFIX, "limit": 500, **({"cursor": cursor} if cursor else {})}
            page = await self.call(self.registry, "GET", "/v1/projects", params=params, headers=self.admin)
            projects.extend(page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                return projects

    def project_row(self, index: int, districts: list[str], developers: list[tuple[str, str]]) -> list[Any]:
        rng = self.rng
        total = rng.randint(200, 2400)
        developer = rng.choice(developers)
        return [
            f"{CODE_PREFIX}{index + 1:04d}",
            f"{rng.choice(NAMES)}{rng.choice(SUFFIXES)}{index % 5 + 1}期",
            rng.choice(districts),
            developer[0],
            developer[1],
            total,
            rng.randint(total // 3, total),
            (clock.today() + timedelta(days=rng.randint(-300, 700))).isoformat(),
            "under_construction",
            f"{rng.randint(5, 40)}.0",
            f"{rng.randint(20, 900) * 1_000_000}.00",
            f"{rng.randint(0, 200) * 1_000_000}.00",
            "区住建局",
            rng.choice(["王建国", "李敏", "张伟", "陈静", "刘洋"]),
        ]

    async def weekly_reports(self, projects: list[dict[str, Any]]) -> None:
        """52 weeks: each project keeps working, stalls for a stretch, or stalls and stays stalled. Each district's
        officer imports the district's year as one weekly dispatch sheet (POST /v1/progress-reports/import)."""
        today = clock.today()
        mondays = [today - timedelta(days=today.weekday(), weeks=w) for w in range(52, 0, -1)]
        plans = {}
        for project in projects:
            fate = self.rng.random()
            start = self.rng.randint(5, 45)
            stop = start + self.rng.randint(3, 20) if fate < 0.12 else (999 if fate < 0.2 else -1)
            plans[project["id"]] = (start if stop >= 0 else 999, stop, Decimal(project["progress_pct"]))
        sheets: dict[str, list[list[Any]]] = {}
        for week_index, monday in enumerate(mondays):
            week = week_of(monday)
            for project in projects:
                start, stop, progress = plans[project["id"]]
                working = not (start <= week_index < stop)
                if working:
                    progress = min(Decimal(100), progress + Decimal(self.rng.randint(0, 25)) / 10)
                    plans[project["id"]] = (start, stop, progress)
                sheets.setdefault(project["district"], []).append(
                    [
                        project["code"],
                        week,
                        str(progress),
                        "是" if working else "否",
                        self.rng.randint(20, 400) if working else 0,
                        None if working else "资金链断裂，施工单位停工",
                        "督促复工" if not working else None,
                    ]
                )
        for district, rows in sheets.items():
            officer = self.headers(Role.district_officer, "demo-officer", district=district)
            await self.import_sheet("/v1/progress-reports/import", REPORT_COLUMNS, rows, officer)

    def dispute(self, rng: random.Random) -> dict[str, Any]:
        """A dispute's body: opened in the last eleven months, and six in ten resolved since."""
        opened = clock.today() - timedelta(days=rng.randint(1, 330))
        body = {
            "kind": rng.choice(["petition", "petition", "complaint", "group_incident"]),
            "opened_on": opened.isoformat(),
            "summary": "购房人反映交付延期",
        }
        if rng.random() < 0.6:
            body["resolved_on"] = min(clock.today(), opened + timedelta(days=rng.randint(3, 60))).isoformat()
        return body

    async def plan(self, project: dict[str, Any], disposal_path: str) -> None:
        start = clock.today() - timedelta(days=240)
        milestones = [
            {"name": name, "planned_date": (start + timedelta(days=120 * i)).isoformat(), "planned_progress_pct": pct}
            for i, (name, pct) in enumerate([("主体结构封顶", "45.0"), ("外立面完成", "70.0"), ("竣工验收", "100.0")])
        ]
        await self.call(
            self.registry,
            "PUT",
            f"/v1/projects/{project['id']}/plan",
            headers=self.admin,
            json={
                "disposal_path": disposal_path,
                "measures": "一项目一方案：专班推进，资金封闭管理，按节点复工",
                "responsible_party": "区保交房工作专班",
                "milestones": milestones,
            },
        )

    async def task_force(self, project: dict[str, Any]) -> None:
        """The project's task force (工作专班); every third one has since changed its leader (a second version)."""
        leaders = [("周海涛", "副区长"), ("吴晓东", "区住建局局长"), ("郑丽华", "副区长"), ("冯国庆", "区政府党组成员")]
        rng = random.Random(project["code"])  # its own, so the demo's other figures stay as they were
        first, later = rng.sample(leaders, 2)
        for leader_name, title in [first, later] if rng.random() < 1 / 3 else [first]:
            await self.call(
                self.registry,
                "PUT",
                f"/v1/projects/{project['id']}/task-force",
                headers=self.admin,
                json={
                    "leader": {"name": leader_name, "title": title},
                    "lead_unit": "区住建局",
                    "members": [
                        {"name": project["responsible_person"] or "王建国", "unit": "区住建局", "role": "专班联络员"},
                        {"name": "钱志强", "unit": "区自然资源和规划局", "role": "审批协调"},
                        {"name": "孙晓梅", "unit": "区财政局", "role": "资金监管"},
                    ],
                    "departments": ["区住建局", "区自然资源和规划局", "区财政局", "街道办事处"],
                },
            )

    async def approvals(self, projects: list[dict[str, Any]]) -> None:
        """Approval cases in every state, dated back from today: some on time, some late, some with 容缺 materials
        overdue (the daily check, run at the end, suspends those), one parallel group and green-channel cases."""
        today = clock.today()

        def day(days_ago: int) -> str:
            return (today - timedelta(days=days_ago)).isoformat()

        accept: tuple[str, dict[str, Any]] = ("accept", {})
        # (received days ago, material due days ago or None, the moves as (days ago, action, extra)), by scenario.
        scenarios: list[tuple[int, int | None, list[tuple[int, str, dict[str, Any]]]]] = [
            (2, None, []),
            (5, None, [(4, *accept)]),
            (40, None, [(38, *accept)]),
            (10, None, [(9, *accept), (3, "pause", {"reason": "correction", "note": "补正消防设计说明"})]),
            (30, None, [(29, *accept), (12, "approve", {})]),
            (60, None, [(58, *accept), (20, "approve", {})]),
            (25, None, [(24, *accept), (10, "refuse", {"reason": "规划条件不符，需调整方案"})]),
            (30, 12, [(29, *accept), (20, "approve_with_tolerance", {}), (8, "supplement", {"material": "监理合同"})]),
            (28, 6, [(27, *accept), (15, "approve_with_tolerance", {})]),
            (35, 9, [(34, *accept), (20, "approve_with_tolerance", {})]),
            (20, None, [(18, "withdraw", {"note": "申请人撤回，补充材料后重新申报"})]),
            (14, -20, [(13, *accept), (6, "approve_with_tolerance", {})]),
        ]
        items = ["construction_permit", "planning_verification", "completion_filing", "presale_permit"]
        revoke: list[str] = []
        rng = self.step_rng("approvals")

        async def open_case(index: int, project: dict[str, Any]) -> None:
            received, material_due, moves = scenarios[index % len(scenarios)]
            officer = self.headers(Role.district_officer, "demo-officer", district=project["district"])
            body: dict[str, Any] = {
                "item": items[index % len(items)],
                "lead_department": rng.choice(["市住建局", "市自然资源局", "区住建局", "市不动产登记中心"]),
                "co_departments": ["市消防救援支队", "市人防办"][: index % 3],
                "received_on": day(received),
            }
            if material_due is not None:
                body["tolerance"] = {
                    "missing": [{"name": "监理合同", "due_on": day(material_due)}],
                    "commitment": {"signer": project["responsible_person"], "signed_on": day(received)},
                }
            if index % 7 == 3:
                body["green_channel"] = {
                    "reason": "项目手续不全，纳入绿色通道先行办理",
                    "approved_by": "市保交房工作专班",
                }
            path = f"/v1/projects/{project['id']}/approvals"
            case = await self.call(self.registry, "POST", path, headers=officer, json=body)
            if index % len(scenarios) == 0:
                # Submitted together with the first: a parallel group (并联审批).
                partner = {**body, "item": "planning_verification", "parallel_with": case["id"]}
                partner.pop("green_channel", None)
                await self.call(self.registry, "POST", path, headers=officer, json=partner)
            for days_ago, action, extra in moves:
                await self.call(
                    self.registry,
                    "POST",
                    f"/v1/approvals/{case['id']}/transitions",
                    headers=officer,
                    json={"action": action, "on": day(days_ago), **extra},
                )
            if index % len(scenarios) == 9:
                revoke.append(case["id"])

        await self.each(enumerate(projects), lambda pair: open_case(*pair))
        await self.call(self.registry, "POST", "/v1/approvals/daily-check", headers=self.admin)
        for approval_id in revoke:
            await self.call(
                self.registry,
                "POST",
                f"/v1/approvals/{approval_id}/transitions",
                headers=self.admin,
                json={"action": "revoke", "reason": "承诺期满仍未补齐材料"},
            )

    async def coordination_items(self, projects: list[dict[str, Any]]) -> None:
        """Coordination items (协调事项) in every state, dated back from today: some resolved in time, some late,
        some reopened, late ones escalated (督办); the daily check, run at the end, announces the late ones."""
        today = clock.today()

        def day(days_ago: int) -> str:
            return (today - timedelta(days=days_ago)).isoformat()

        resolve = ("resolve", {"resolution": "已协调解决，现场核实完成"})
        reopen = ("reopen", {"note": "现场复核仍未解决", "deadline_working_days": 5})
        escalate = ("escalate", {"note": "市保交房工作专班督办"})
        # (raised days ago, deadline in working days, the moves as (days ago, action, extra)), by scenario.
        scenarios: list[tuple[int, int, list[tuple[int, str, dict[str, Any]]]]] = [
            (2, 10, []),
            (6, 10, [(5, "accept", {})]),
            (40, 10, [(38, "accept", {}), (5, *escalate)]),
            (30, 20, [(29, "accept", {}), (12, *resolve)]),
            (30, 20, [(29, "accept", {}), (20, *resolve), (15, "confirm", {})]),
            (35, 10, [(34, "accept", {}), (25, *resolve), (20, *reopen)]),
            (45, 15, [(44, "accept", {}), (30, *resolve), (28, *reopen), (26, "accept", {}), (10, *resolve)]),
            (50, 10, [(3, *escalate)]),
            (20, 5, [(19, "accept", {}), (4, *resolve)]),
            (60, 15, [(58, "accept", {}), (40, *resolve), (35, "confirm", {})]),
        ]
        topics = [
            ("power", "国网市供电公司"),
            ("water", "市水务集团"),
            ("gas", "市燃气集团"),
            ("supporting_facilities", "区教育局"),
            ("permits", "市自然资源和规划局"),
            ("funding", "市财政局"),
            ("other", "市交通运输局"),
        ]
        descriptions = {
            "power": "正式用电接入尚未排期，影响设备调试",
            "water": "市政供水管网未接入小区",
            "gas": "燃气管道接驳待审批",
            "supporting_facilities": "配套幼儿园移交手续未办理",
            "permits": "规划核实前置手续需协调",
            "funding": "专项借款拨付进度滞后",
            "other": "施工便道占用市政道路需临时许可",
        }

        async def raise_item(index: int, project: dict[str, Any]) -> None:
            raised, deadline, moves = scenarios[index % len(scenarios)]
            topic, department = topics[index % len(topics)]
            officer = self.headers(Role.district_officer, "demo-officer", district=project["district"])
            body: dict[str, Any] = {
                "topic": topic,
                "description": descriptions[topic],
                "lead_department": department,
                "raised_on": day(raised),
                "deadline_working_days": deadline,
            }
            if topic == "other":
                body["topic_name"] = "临时道路占用"
            path = f"/v1/projects/{project['id']}/coordination-items"
            item = await self.call(self.registry, "POST", path, headers=officer, json=body)
            for days_ago, action, extra in moves:
                await self.call(
                    self.registry,
                    "POST",
                    f"/v1/coordination-items/{item['id']}/transitions",
                    headers=officer,
                    json={"action": action, "on": day(days_ago), **extra},
                )

        await self.each(enumerate(projects), lambda pair: raise_item(*pair))
        await self.call(self.registry, "POST", "/v1/approvals/daily-check", headers=self.admin)

    async def inspections(self, projects: list[dict[str, Any]]) -> None:
        """An inspection of each project with one finding, in every state of the rectification loop, dated back
        from today: some on time, some late (one escalated), one closed after a failed recheck, one stop-work
        order still in force and one unit-by-unit acceptance (分户验收) closed."""
        today = clock.today()

        def day(days_ago: int) -> str:
            return (today - timedelta(days=days_ago)).isoformat()

        reply = ("reply", {"measures_taken": "已按整改通知完成整改", "replied_by": "项目经理"})
        passed = ("recheck", {"result": "pass"})
        # (kind, inspected days ago, working days, measure, the moves as (days ago, action, extra)), by scenario.
        scenarios: list[tuple[str, int, int, str, list[tuple[int, str, dict[str, Any]]]]] = [
            ("routine", 2, 10, "rectify", []),
            ("unannounced", 30, 5, "rework", []),
            ("special", 40, 5, "rectify", [(0, "escalate", {"note": "逾期未整改，提请市专班督办"})]),
            ("patrol", 10, 10, "rectify", [(3, *reply)]),
            ("special", 6, 10, "stop_work", []),
            (
                "routine",
                25,
                10,
                "rectify",
                [(15, *reply), (12, "recheck", {"result": "fail", "deadline_working_days": 20})],
            ),
            (
                "routine",
                40,
                5,
                "partial_stop",
                [(30, *reply), (28, "recheck", {"result": "fail", "deadline_working_days": 5})],
            ),
            ("routine", 20, 10, "rectify", [(12, *reply), (10, *passed)]),
            (
                "unit_acceptance",
                45,
                5,
                "rework",
                [
                    (35, *reply),
                    (33, "recheck", {"result": "fail", "deadline_working_days": 5}),
                    (25, *reply),
                    (22, *passed),
                ],
            ),
            ("patrol", 15, 5, "bad_conduct_record", [(9, *reply), (8, *passed)]),
        ]
        findings = [
            ("safety", "major", "外脚手架连墙件缺失", "3号楼 12-15层", "construction"),
            ("quality", "general", "地下室顶板渗漏", "地下车库B区", "construction"),
            ("safety", "critical", "深基坑支护位移超过预警值", "基坑东侧", "construction"),
            ("management", "general", "监理旁站记录缺失", "项目监理部", "supervision"),
            ("quality", "major", "楼板混凝土强度不足", "5号楼 8层", "developer"),
            ("quality", "general", "外墙保温层空鼓", "2号楼 西立面", "design"),
        ]

        async def inspect(index: int, project: dict[str, Any]) -> None:
            kind, inspected, working_days, measure, moves = scenarios[index % len(scenarios)]
            if measure == "stop_work" and index >= len(scenarios):
                measure = "rectify"  # one stop-work order in the city
            officer = self.headers(Role.district_officer, "demo-officer", district=project["district"])
            inspection = await self.call(
                self.registry,
                "POST",
                f"/v1/projects/{project['id']}/inspections",
                headers=officer,
                json={"kind": kind, "inspected_on": day(inspected), "inspectors": ["王强", "刘洋"]},
            )
            category, severity, description, location, party = findings[index % len(findings)]
            finding = await self.call(
                self.registry,
                "POST",
                f"/v1/inspections/{inspection['id']}/findings",
                headers=officer,
                json={
                    "category": category,
                    "severity": severity,
                    "description": description,
                    "location": location,
                    "responsible_party": party,
                    "measure": measure,
                    "deadline_working_days": working_days,
                },
            )
            for days_ago, action, extra in moves:
                await self.call(
                    self.registry,
                    "POST",
                    f"/v1/findings/{finding['id']}/transitions",
                    headers=officer,
                    json={"action": action, "on": day(days_ago), **extra},
                )

        await self.each(enumerate(projects), lambda pair: inspect(*pair))
        await self.call(self.registry, "POST", "/v1/approvals/daily-check", headers=self.admin)

    async def financing_flows(self, projects: list[dict[str, Any]]) -> None:
        """Nominate about a third of the projects, review and push them, and let the banks answer and lend."""
        rng = self.step_rng("whitelist")
        chosen = rng.sample(projects, k=max(1, len(projects) // 3))
        flows = [(project, self.entry(rng)) for project in chosen]
        await self.each(flows, lambda flow: self.entry_flow(*flow))

    def entry(self, rng: random.Random) -> dict[str, Any]:
        """What happens to one whitelist entry: the amount asked, the banks it is pushed to and their answers."""
        requested = Decimal(rng.randint(20, 300) * 1_000_000)
        category = rng.choice(["normal", "temporary_difficulty"])
        banks = rng.sample([b[0] for b in BANKS], k=rng.randint(1, 3))
        if RECEIVER_BANK not in banks and rng.random() < 0.5:
            banks.append(RECEIVER_BANK)
        return {
            "requested": requested,
            "category": category,
            "answers": [(bank, *self.answer(rng, requested)) for bank in banks],
        }

    def answer(self, rng: random.Random, requested: Decimal) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """A bank's decision on an entry, and the disbursements of the credit line it opens (none if declined)."""
        today = clock.today()
        if rng.random() < 0.25:
            reason = rng.choice(["项目资金缺口过大，暂不符合授信条件", "抵押物不足", "项目已获他行足额授信"])
            return {"decision": "decline", "reason": reason}, []
        amount = (requested * Decimal(rng.randint(30, 100)) / 100).quantize(Decimal("1"))
        decision = {
            "decision": "approve",
            "amount": f"{amount}.00",
            "kind": rng.choice(["development_loan", "special_loan"]),
            "approved_on": (today - timedelta(days=rng.randint(60, 200))).isoformat(),
            "maturity_date": (today + timedelta(days=720)).isoformat(),
        }
        disbursements = []
        left = amount
        for tranche in range(rng.randint(0, 3)):
            part = (left * Decimal(rng.randint(20, 45)) / 100).quantize(Decimal("1"))
            left -= part
            disbursements.append(
                {
                    "amount": f"{part}.00",
                    "disbursed_on": (today - timedelta(days=50 - 15 * tranche)).isoformat(),
                    "purpose": rng.choice(["主体结构施工款", "材料采购款", "农民工工资"]),
                }
            )
        return decision, disbursements

    async def entry_flow(self, project: dict[str, Any], entry: dict[str, Any]) -> None:
        officer = self.headers(Role.district_officer, "demo-officer", district=project["district"])
        created = await self.call(
            self.financing,
            "POST",
            "/v1/whitelist",
            headers=officer,
            json={
                "project_id": project["id"],
                "category": entry["category"],
                "requested_amount": f"{entry['requested']}.00",
            },
        )
        path = f"/v1/whitelist/{created['id']}/transitions"
        await self.call(self.financing, "POST", path, headers=officer, json={"action": "prereview_pass"})
        await self.call(self.financing, "POST", path, headers=self.admin, json={"action": "city_approve"})
        banks = [bank for bank, _, _ in entry["answers"]]
        await self.call(self.financing, "POST", path, headers=self.admin, json={"action": "push", "banks": banks})
        for bank, decision, disbursements in entry["answers"]:
            headers = self.headers(Role.bank, f"demo-{bank.lower()}", bank=bank)
            answered = await self.call(
                self.financing, "POST", f"/v1/whitelist/{created['id']}/bank-decisions", headers=headers, json=decision
            )
            for disbursement in disbursements:
                await self.call(
                    self.financing,
                    "POST",
                    f"/v1/credit-lines/{answered['credit_line_id']}/disbursements",
                    headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
                    json=disbursement,
                )

    async def policy_funds(self, projects: list[dict[str, Any]]) -> None:
        """The year's target, two programs (a special loan paid out by the receiver's bank, provincial relief),
        allocations to a few projects, their payments, and one payment the rules refuse: an old debt from before
        the cutover."""
        today = clock.today()
        year = today.year
        await self.call(
            self.financing,
            "PUT",
            f"/v1/fund-targets/{year}",
            headers=self.admin,
            json={"amount_sought": "1500000000.00", "projects_to_support": 30},
        )
        programs = [
            (
                {
                    "name": f"{year}年第一批保交楼专项借款",
                    "source": "special_loan",
                    "granted_amount": "800000000.00",
                    "eligible_uses": ["construction", "materials", "current_wages"],
                    "paying_bank": RECEIVER_BANK,
                },
                40,
            ),
            (
                {
                    "name": f"{year}年省级纾困资金",
                    "source": "provincial_relief",
                    "granted_amount": "300000000.00",
                    "eligible_uses": ["construction", "current_wages", "utilities"],
                },
                30,
            ),
        ]
        created = []
        for fields, most in programs:
            program = await self.call(
                self.financing,
                "POST",
                "/v1/fund-programs",
                headers=self.admin,
                json={
                    **fields,
                    "year": year,
                    "granted_on": (today - timedelta(days=90)).isoformat(),
                    "cutover_date": (today - timedelta(days=600)).isoformat(),
                },
            )
            created.append((program, most))
        rng = self.step_rng("funds")
        planned = []
        for index, project in enumerate(rng.sample(projects, k=min(len(projects), 16))):
            program, most = created[index % 2]
            amount = rng.randint(10, most) * 1_000_000
            payments = []
            left = amount
            for tranche in range(rng.randint(1, 3)):
                part = left * rng.randint(20, 45) // 100
                left -= part
                paid_on = (today - timedelta(days=50 - 15 * tranche)).isoformat()
                payments.append(self.payment(rng, part, paid_on, rng.choice(program["eligible_uses"]), paid_on))
            planned.append((program, project, amount, payments))

        async def allocate(program: dict[str, Any], project: dict[str, Any], amount: int) -> dict[str, Any]:
            return dict(
                await self.call(
                    self.financing,
                    "POST",
                    f"/v1/fund-programs/{program['id']}/allocations",
                    headers={**self.admin, "Idempotency-Key": str(uuid.uuid4())},
                    json={
                        "project_id": project["id"],
                        "amount": f"{amount}.00",
                        "allocated_on": (today - timedelta(days=60)).isoformat(),
                    },
                )
            )

        async def pay(allocation: dict[str, Any], project: dict[str, Any], payments: list[dict[str, Any]]) -> None:
            officer = self.headers(Role.district_officer, "demo-officer", district=project["district"])
            for payment in payments:  # in date order, as they were paid
                await self.call(
                    self.financing,
                    "POST",
                    f"/v1/allocations/{allocation['id']}/payments",
                    headers={**officer, "Idempotency-Key": str(uuid.uuid4())},
                    json=payment,
                )

        made = await self.each(planned, lambda p: allocate(*p[:3]))
        await self.each(zip(made, planned, strict=True), lambda pair: pay(pair[0], pair[1][1], pair[1][3]))
        allocations = [
            (allocation, program, project, amount)
            for allocation, (program, project, amount, _) in zip(made, planned, strict=True)
        ]
        allocation, program, project, _ = allocations[0]
        old_debt = self.payment(rng, 1_000_000, today.isoformat(), "construction", program["cutover_date"])
        old_debt["liability_incurred_on"] = (today - timedelta(days=700)).isoformat()
        async with self.gate(self.financing):
            refused = await self.financing.post(
                f"/v1/allocations/{allocation['id']}/payments",
                headers=self.headers(Role.district_officer, "demo-officer", district=project["district"]),
                json=old_debt,
            )
        if refused.status_code != 422:
            raise RuntimeError(f"an old debt was not refused: {refused.status_code} {refused.text[:300]}")

    def payment(
        self, rng: random.Random, amount: int, paid_on: str, use: str, liability_incurred_on: str
    ) -> dict[str, Any]:
        """A payment's body, with a payee, an invoice and a contract."""
        return {
            "amount": f"{amount}.00",
            "paid_on": paid_on,
            "use": use,
            "payee": {
                "name": rng.choice(["示范建工集团有限公司", "示范劳务有限公司"]),
                "credit_code": credit_code(rng),
            },
            "liability_incurred_on": liability_incurred_on,
            "evidence": [
                {"kind": "invoice", "reference": f"FP-{rng.randint(10000000, 99999999)}"},
                {"kind": "contract", "reference": f"HT-{rng.randint(1000, 9999)}"},
            ],
        }

    async def register_receiver(self, port: int) -> str:
        """Register the example receiver for one bank; return the endpoint's signing secret."""
        headers = self.headers(Role.bank, f"demo-{RECEIVER_BANK.lower()}", bank=RECEIVER_BANK)
        endpoint = await self.call(
            self.financing,
            "POST",
            "/v1/webhook-endpoints",
            headers=headers,
            json={"url": f"http://127.0.0.1:{port}/webhooks", "event_types": EVENT_TYPES},
        )
        return str(endpoint["secret"])

    async def close(self) -> None:
        await self.registry.aclose()
        await self.financing.aclose()


async def sample_advice(risk: str, admin: dict[str, str]) -> dict[str, Any]:
    """Ask the risk service ``SAMPLE_QUESTION`` and print the answer's gist; return the answer."""
    async with httpx.AsyncClient(base_url=risk, timeout=60) as client:
        response = await client.post("/v1/allocation-advice", json=SAMPLE_QUESTION, headers=admin)
    if response.status_code != 200:
        raise RuntimeError(f"allocation advice answered {response.status_code}: {response.text[:300]}")
    answer: dict[str, Any] = response.json()
    totals = answer["totals"]
    print(
        f"Sample question: where do {SAMPLE_QUESTION['budget']} yuan deliver the most homes? "
        f"{len(answer['plan'])} projects of {answer['candidates']} candidates, {totals['allocated']} allocated, "
        f"{totals['expected_units_saved']} homes expected saved (model {answer['model_version']}):",
        flush=True,
    )
    for line in answer["plan"][:5]:
        print(
            f"  {line['code']}  {line['amount']:>14}  {line['tier_before']:>6} -> {line['tier_after']:<6} "
            f"p {line['probability_before']:.4f} -> {line['probability_after']:.4f}  "
            f"{line['expected_units_saved']} homes",
            flush=True,
        )
    for baseline in answer["baselines"]:
        print(f"  baseline {baseline['name']:<20} {baseline['expected_units_saved']} homes", flush=True)
    return answer


def stop(receiver: subprocess.Popen[bytes] | None) -> None:
    """Stop the example receiver, if one was started."""
    if receiver is not None:
        receiver.terminate()


def start_receiver(secret: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    """Start the example receiver, its own log lines going to ``var/logs/bank-receiver.log``, not the console."""
    log.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "services.examples.bank_receiver",
            "--port",
            str(port),
            "--secret",
            secret,
            "--log",
            str(log),
        ],
        env=dict(os.environ),
        stdout=log_file("bank-receiver"),
        stderr=subprocess.STDOUT,
    )


async def run(
    registry: str, financing: str, *, seed: int, projects: int, receiver_port: int, risk: str | None = None
) -> subprocess.Popen[bytes] | None:
    """Load the demo city unless it is there already, then (given ``risk``) ask the sample question; return the
    receiver process it started, if any."""
    demo = Demo(registry, financing, seed, projects)
    try:
        if await demo.already_loaded():
            print("The demo city is loaded already.", flush=True)
            if risk is not None:
                await sample_advice(risk, demo.admin)
            return None
        print("Loading the demo city:", flush=True)
        receiver = await demo.load(receiver_port)
        try:
            print(
                f"The demo city is loaded. {RECEIVER_BANK}'s example receiver logs the webhooks it verified to "
                f"var/bank-receiver.jsonl (its own log: var/logs/bank-receiver.log).",
                flush=True,
            )
            if risk is not None:
                await sample_advice(risk, demo.admin)
        except BaseException:
            stop(receiver)
            raise
        return receiver
    finally:
        await demo.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--registry", default=ServiceSettings().registry_url)
    parser.add_argument("--financing", default=ServiceSettings().financing_url)
    parser.add_argument("--risk", default=ServiceSettings().risk_url)
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--receiver-port", type=int, default=9100)
    args = parser.parse_args(argv)
    receiver = asyncio.run(
        run(
            args.registry,
            args.financing,
            seed=args.seed,
            projects=args.projects,
            receiver_port=args.receiver_port,
            risk=args.risk,
        )
    )
    if receiver is not None:
        try:
            receiver.wait()
        except KeyboardInterrupt:
            receiver.terminate()


if __name__ == "__main__":
    main()

"""The registry service: the city's risk ledger of projects."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI, Request

from services.common.app import ServiceSpec, create_app
from services.common.clients import peer_client
from services.common.events import EventType
from services.common.fastlane import Lane
from services.common.health import CheckResult, HealthStatus
from services.common.peers.financing import FinancingClient
from services.registry import districts, risk_tiers
from services.registry.approvals import endpoints as approvals
from services.registry.approvals import job as approvals_job
from services.registry.approvals.schemas import ApprovalDecided, ApprovalOverdue, ApprovalSupplementOverdue
from services.registry.audit import endpoints as audit
from services.registry.bulletin import render as bulletin
from services.registry.calendar import endpoints as calendar
from services.registry.coordination import endpoints as coordination
from services.registry.coordination.schemas import CoordinationItemOverdue
from services.registry.developers import endpoints as developers
from services.registry.disputes import endpoints as disputes
from services.registry.imports import endpoints as imports
from services.registry.inspections import endpoints as inspections
from services.registry.inspections.schemas import FindingClosed, FindingOverdue, ProjectStopWorkChanged
from services.registry.models import OUTBOX
from services.registry.outcomes import endpoints as outcomes
from services.registry.plans import endpoints as plans
from services.registry.progress import endpoints as progress
from services.registry.projects import endpoints as projects
from services.registry.projects import fast_lane
from services.registry.reports import endpoints as reports
from services.registry.riskfacts import endpoints as riskfacts
from services.registry.settings import RegistrySettings
from services.registry.taskforces import endpoints as taskforces

MIGRATIONS = Path(__file__).parent / "migrations"

DESCRIPTION = """\
The city's risk ledger (风险台账) of pre-sold housing projects: districts, developers, projects and their
status, weekly dispatch reports (周调度), disputes, one plan per project (一项目一方案), each project's task
force (工作专班), outcomes, the weekly and monthly reports (月通报), the official working-day calendar that
deadlines are counted on, approval cases on that clock, quality and safety inspections with their findings and
rectification loop (整改), coordination items (协调事项) and the overdue board. Every change to a project's facts is
announced as `project.facts_changed`; approvals announce `approval.decided`, `approval.overdue` and
`approval.supplement_overdue`; findings announce `finding.overdue` and `finding.closed`, and a stop-work order
beginning or ending `project.stop_work_changed`; coordination items announce `coordination_item.overdue`.
"""


TAGS = [
    {"name": "districts", "description": "The city's districts (县/市/区), from configuration."},
    {"name": "developers", "description": "Developers (enterprises), by unified social credit code."},
    {"name": "projects", "description": "The risk ledger (风险台账): projects, their status and facts."},
    {"name": "progress reports", "description": "Weekly dispatch (周调度): one report per project and ISO week."},
    {
        "name": "imports",
        "description": "The ledger and weekly dispatch sheets in from CSV or xlsx, with templates: onboarding a city.",
    },
    {"name": "disputes", "description": "Petitions (信访), complaints (投诉) and group incidents (群体事件)."},
    {"name": "plans", "description": "One plan per project (一项目一方案), versioned, with milestones."},
    {
        "name": "task-forces",
        "description": "Each project's task force (工作专班): its leader (包保领导), lead unit, members, departments.",
    },
    {"name": "outcomes", "description": "What finally happened to a project: the labels the risk model learns."},
    {"name": "reports", "description": "The weekly dispatch report and the monthly bulletin (月通报), JSON or CSV."},
    {
        "name": "calendar",
        "description": "The working-day calendar (State Council holiday notices, 调休) that deadlines count on.",
    },
    {
        "name": "approvals",
        "description": "Approval cases (施工许可, 规划核实, …) on the working-day clock: 容缺受理, 并联审批, 绿色通道.",
    },
    {
        "name": "inspections",
        "description": "Quality and safety inspections (质量安全监督), findings and their rectification (整改, 销号).",
    },
    {
        "name": "coordination",
        "description": "Coordination items (协调事项): site problems a department must solve (水电气接入, 配套设施).",
    },
    {"name": "supervision", "description": "The overdue board the weekly dispatch meeting reads."},
    {"name": "audit", "description": "Every change to the ledger, with who, when, and before and after."},
]


async def _open(app: FastAPI) -> None:
    # The monthly bulletin shows financing's credit by bank; it is the one thing registry asks financing.
    app.state.financing_client = FinancingClient(peer_client(app.state.settings.financing_url, app.state.settings))


async def _close(app: FastAPI) -> None:
    await app.state.financing_client.aclose()


async def _check_fonts(request: Request) -> CheckResult:
    """Warn (stay ready) when the bulletin's PDF cannot embed its fonts: everything else works."""
    missing = await bulletin.missing_fonts(request.app.state.settings.bulletin_fonts)
    if missing:
        return CheckResult(
            HealthStatus.warn,
            f"the monthly bulletin's PDF answers 503 until {bulletin.FONT_PACKAGE} is installed "
            f"(missing: {', '.join(missing)})",
        )
    return CheckResult(HealthStatus.passing)


def _import_limits(settings: RegistrySettings) -> dict[str, int]:
    """Spreadsheet imports take bigger bodies than the rest of the API."""
    return {path: settings.import_max_bytes for path in ("/v1/projects/import", "/v1/progress-reports/import")}


def _fast_lanes(settings: RegistrySettings) -> Sequence[Lane]:
    """The project read and list below FastAPI's router, unless switched off."""
    return fast_lane.LANES if settings.fast_lane else ()


def create_registry_app(settings: RegistrySettings | None = None) -> FastAPI:
    settings = settings or RegistrySettings()
    spec = ServiceSpec(
        title="Handover registry",
        description=DESCRIPTION,
        version="1.0.0",
        migrations_dir=MIGRATIONS,
        outbox_tables=OUTBOX,
        routers=[
            districts.router,
            developers.router,
            imports.router,
            projects.router,
            progress.router,
            disputes.router,
            plans.router,
            taskforces.router,
            outcomes.router,
            riskfacts.router,
            reports.router,
            calendar.router,
            approvals.router,
            inspections.router,
            coordination.router,
            audit.router,
        ],
        event_handlers={EventType.project_risk_tier_changed.value: risk_tiers.on_risk_tier_changed},
        readiness_checks={"bulletin:fonts": _check_fonts},
        on_startup=[_open, approvals_job.start],
        on_shutdown=[approvals_job.stop, _close],
        openapi_tags=TAGS,
        # The payloads of the approval, finding and coordination events, so subscribers find them in the document.
        extra_schemas=[
            ApprovalDecided,
            ApprovalOverdue,
            ApprovalSupplementOverdue,
            FindingOverdue,
            FindingClosed,
            ProjectStopWorkChanged,
            CoordinationItemOverdue,
        ],
        body_limits=_import_limits,
        fast_lanes=_fast_lanes,
    )
    return create_app(spec, settings)

"""The financing service: the whitelist, credit lines, disbursements, policy funds, and the webhooks banks receive."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.common.app import ServiceSpec, create_app
from services.common.events import EventType
from services.common.peers.registry import RegistryClient
from services.financing.audit import endpoints as audit
from services.financing.banks import endpoints as banks
from services.financing.credit_lines import endpoints as credit_lines
from services.financing.disbursements import endpoints as disbursements
from services.financing.events import endpoints as events
from services.financing.events.catalog import webhooks
from services.financing.events.fanout import fanout
from services.financing.events.inbound import on_risk_tier_changed
from services.financing.funding import endpoints as funding
from services.financing.funds.allocations import endpoints as fund_allocations
from services.financing.funds.payments import endpoints as fund_payments
from services.financing.funds.plans import endpoints as fund_plans
from services.financing.funds.programs import endpoints as fund_programs
from services.financing.funds.targets import endpoints as fund_targets
from services.financing.models import OUTBOX
from services.financing.reports import endpoints as reports
from services.financing.settings import FinancingSettings
from services.financing.webhooks import endpoints as webhook_endpoints
from services.financing.webhooks.hooks import EndpointHooks
from services.financing.whitelist import endpoints as whitelist

MIGRATIONS = Path(__file__).parent / "migrations"

DESCRIPTION = """\
The city's financing coordination mechanism (城市房地产融资协调机制): banks, the project whitelist (nominated by
districts, pre-reviewed, approved by the city, pushed to chosen banks), each pushed bank's decision (推送—反馈),
credit lines (授信) and disbursements (放款) that never exceed them, policy funds (保交楼专项借款, 纾困资金)
allocated to projects and paid out only for their purposes, funding positions for the risk service, and the
monthly financing report.

Banks receive their events as Standard Webhooks signed POSTs (see `webhooks`): at least once, the same
`webhook-id` on every retry, with backoff over days; they register endpoints, rotate secrets, read every
delivery attempt, recover what they missed, and page through `GET /v1/events` to reconcile.
"""

TAGS = [
    {"name": "banks", "description": "The banks of the mechanism; a bank token's `bank` claim names one."},
    {"name": "whitelist", "description": "Entries' lifecycle, pushes to banks and the banks' decisions."},
    {"name": "credit lines", "description": "Credit (授信) banks grant projects."},
    {"name": "disbursements", "description": "Tranches drawn (放款) on credit lines, and reversals."},
    {
        "name": "policy funds",
        "description": "Programs of 保交楼专项借款 and 纾困资金, their allocations to projects and every payment, "
        "held to the funds' rules (专款专用, 新老划断); the yearly targets.",
    },
    {"name": "reports", "description": "The monthly financing report."},
    {"name": "webhook endpoints", "description": "Where a bank receives its events, and every attempt."},
    {"name": "events", "description": "The feed of events, for reconciliation."},
    {"name": "audit", "description": "Who changed what in financing."},
    {
        "name": "webhooks",
        "description": "What financing POSTs to a bank's endpoints: Standard Webhooks signed, at least once, "
        "with the same `Webhook-Id` on every retry.",
    },
]


async def _open_peers(app: FastAPI) -> None:
    app.state.registry_client = RegistryClient.connect(app.state.settings)


async def _close_peers(app: FastAPI) -> None:
    await app.state.registry_client.aclose()


def create_financing_app(settings: FinancingSettings | None = None) -> FastAPI:
    settings = settings or FinancingSettings()
    spec = ServiceSpec(
        title="Handover financing",
        description=DESCRIPTION,
        version="1.0.0",
        migrations_dir=MIGRATIONS,
        outbox_tables=OUTBOX,
        routers=[
            banks.router,
            whitelist.router,
            credit_lines.router,
            disbursements.router,
            fund_programs.router,
            fund_allocations.router,
            fund_plans.router,
            fund_payments.router,
            fund_targets.router,
            funding.router,
            reports.router,
            webhook_endpoints.router,
            events.router,
            audit.router,
        ],
        event_handlers={EventType.project_risk_tier_changed.value: on_risk_tier_changed},
        on_startup=[_open_peers],
        on_shutdown=[_close_peers],
        fanout=fanout,
        dispatch_hooks=lambda app: EndpointHooks(app.state.settings),
        openapi_tags=TAGS,
        webhooks=webhooks,
    )
    return create_app(spec, settings)

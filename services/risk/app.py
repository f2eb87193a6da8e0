"""The risk service: scores projects into tiers with an explainable model, and keeps their assessments."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.common.app import ServiceSpec, create_app
from services.common.clients import peer_client
from services.common.events import EventType
from services.common.peers.financing import FinancingClient
from services.common.peers.registry import RegistryClient
from services.risk.advice import endpoints as advice
from services.risk.advice.service import Advisor
from services.risk.assessments import endpoints as assessments
from services.risk.assessments.inbox import on_facts_changed
from services.risk.assessments.service import Assessor
from services.risk.assessments.worker import ReassessmentWorker
from services.risk.models import OUTBOX
from services.risk.overrides import endpoints as overrides
from services.risk.scoring import endpoints as scoring
from services.risk.scoring.engine import ServedModel, load_on_startup
from services.risk.scoring.schemas import BatchScoreRequest
from services.risk.settings import RiskSettings

MIGRATIONS = Path(__file__).parent / "migrations"

DESCRIPTION = """\
Scores pre-sold housing projects on the probability that they are not delivered within twelve months of their
contract date, with a monotone points scorecard whose per-feature points add up to the score, into `red`,
`orange`, `yellow` and `green` tiers (versioned thresholds, policy rules that can only raise a tier, hysteresis
before a tier falls, and manual overrides by city admins). Assessments gather facts from registry and funding
from financing in bulk, are stored append-only, and every change of a project's tier is announced as
`project.risk_tier_changed`. A `project.facts_changed` event from registry queues the project for reassessment.
"""

TAGS = [
    {"name": "scoring", "description": "Score feature values directly; read the model card."},
    {"name": "assessments", "description": "Assess ledger projects from the facts of registry and financing."},
    {"name": "overrides", "description": "Manual tiers set by city admins, and their audit."},
    {
        "name": "allocation advice",
        "description": "Where a policy-fund budget saves the most homes under the model (精准滴灌): advice, "
        "not a decision.",
    },
]


async def _open(app: FastAPI) -> None:
    settings: RiskSettings = app.state.settings
    timeout = settings.peer_bulk_timeout_seconds
    registry = RegistryClient(peer_client(settings.registry_url, settings, timeout=timeout))
    financing = FinancingClient(peer_client(settings.financing_url, settings, timeout=timeout))
    app.state.registry_client, app.state.financing_client = registry, financing
    assessor = Assessor(
        database=app.state.database,
        registry=registry,
        financing=financing,
        served=app.state.served_model,
        outbox=app.state.outbox,
        fall_after=settings.fall_after,
        chunk_size=settings.assessment_chunk_size,
    )
    app.state.assessor = assessor
    app.state.advisor = Advisor(
        registry=registry, financing=financing, served=app.state.served_model, chunk_size=settings.assessment_chunk_size
    )
    worker = ReassessmentWorker(
        assessor,
        app.state.database,
        delay_seconds=settings.reassess_delay_seconds,
        funding_retry_seconds=settings.funding_retry_seconds,
    )
    app.state.worker = worker
    app.state.database.after_commit_hooks.append(worker.wake)
    if settings.run_workers:
        worker.start()


async def _close(app: FastAPI) -> None:
    await app.state.worker.stop()
    await app.state.registry_client.aclose()
    await app.state.financing_client.aclose()


def create_risk_app(settings: RiskSettings | None = None) -> FastAPI:
    settings = settings or RiskSettings()
    spec = ServiceSpec(
        title="Handover risk",
        description=DESCRIPTION,
        version="1.0.0",
        migrations_dir=MIGRATIONS,
        outbox_tables=OUTBOX,
        routers=[scoring.router, assessments.router, overrides.router, advice.router],
        event_handlers={EventType.project_facts_changed.value: on_facts_changed},
        readiness_checks={"model:loaded": scoring.model_check},
        on_startup=[load_on_startup, _open],
        on_shutdown=[_close],
        openapi_tags=TAGS,
        extra_schemas=[BatchScoreRequest],
    )
    app = create_app(spec, settings)
    app.state.served_model = ServedModel()
    return app

"""Assessing projects: facts from registry and funding from financing (bulk calls), scored, stored, announced.

``Assessor.run`` is the one way projects are assessed: by ``POST /v1/assessments``, by the worker after a
``project.facts_changed`` event, and by the funding retry. Peer calls happen outside any transaction; the
results are written a chunk at a time, each chunk in its own short transaction (locked state rows, one bulk
statement per table), so assessing the whole ledger never holds the database for long. On PostgreSQL two
chunks are in flight at once (``services.common.overlap``): the chunks are disjoint sets of projects, so their
transactions lock different rows, and a failure cancels the chunk still running (rolled back unless it was
already committing), so the chunks a failed run leaves written need not be the first ones (ADR 19).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock, gc_pause
from services.common.auth import Role
from services.common.context import current_request_id
from services.common.db import Database
from services.common.events import EventType
from services.common.outbox import Outbox
from services.common.overlap import Overlap
from services.common.peers import PeerContractError, PeerUnavailable
from services.common.peers.financing import FinancingClient, FundingPositions
from services.common.peers.registry import RegistryClient
from services.risk.assessments import decisions, repository
from services.risk.assessments.facts import ProjectInputs, project_inputs
from services.risk.assessments.schemas import AssessmentTrigger
from services.risk.events import tier_changed_data
from services.risk.model import RiskTier
from services.risk.models import Override
from services.risk.overrides import audit
from services.risk.overrides.schemas import AuditAction, OverrideEnd
from services.risk.scoring.engine import ScoringEngine, ServedModel

log = logging.getLogger("handover.risk.assessments")

SYSTEM_ACTOR = "system:risk"


class ModelNotLoaded(Exception):
    """Assessments need the model, which has not loaded."""


@dataclass
class RunResult:
    """What one run did; ``items`` has one summary per project assessed."""

    as_of: date
    funding_unknown: bool = False
    not_found: list[str] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)

    @property
    def tier_changes(self) -> int:
        return sum(1 for item in self.items if item["tier"] != item["previous_tier"])


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class Assessor:
    """Runs assessments; built in the lifespan with the database, the peers and the served model."""

    def __init__(
        self,
        *,
        database: Database,
        registry: RegistryClient,
        financing: FinancingClient,
        served: ServedModel,
        outbox: Outbox,
        fall_after: int,
        chunk_size: int,
    ) -> None:
        self.database = database
        self.registry = registry
        self.financing = financing
        self.served = served
        self.outbox = outbox
        self.fall_after = fall_after
        self.chunk_size = chunk_size
        # Chunks written at once, each in its own transaction; SQLite has one writer at a time anyway.
        self.writers = 1 if database.is_sqlite else 2

    async def run(
        self, project_ids: Sequence[str] | None, trigger: AssessmentTrigger, *, require_funding: bool = False
    ) -> RunResult:
        """Assess ``project_ids`` (None: every project in the registry).

        Without financing, funding is left unknown, unless ``require_funding``, when nothing is assessed.
        Raises ModelNotLoaded, PeerUnavailable (registry; or financing with ``require_funding``) and
        PeerContractError (registry answered with another shape).
        """
        engine = self.served.engine
        if engine is None:
            raise ModelNotLoaded()
        # A whole ledger keeps 50,000 projects' facts, rows and events alive at once: the cyclic collector, walking
        # them again every few hundred new containers, took about 40% of the run's CPU (services.common.gc_pause).
        # A facts-changed group or one project's reassessment is small and keeps the collector on.
        with gc_pause.paused_if(project_ids is None or len(project_ids) > self.chunk_size):
            return await self._run(engine, project_ids, trigger, require_funding)

    async def _run(
        self,
        engine: ScoringEngine,
        project_ids: Sequence[str] | None,
        trigger: AssessmentTrigger,
        require_funding: bool,
    ) -> RunResult:
        funding: FundingPositions | None = None
        if require_funding and project_ids is not None:
            funding = await self.financing.query_funding_positions(project_ids, chunk_size=self.chunk_size)
        answer = await self.registry.query_scoring_facts(project_ids, chunk_size=self.chunk_size)
        result = RunResult(as_of=answer.as_of)
        if project_ids is not None:
            found = {item.project_id for item in answer.items}
            result.not_found = [p for p in dict.fromkeys(project_ids) if p not in found]
        items = list({item.project_id: item for item in answer.items}.values())
        if funding is not None:
            # A position still unreadable waits for the next retry instead of adding another unknown assessment.
            items = [item for item in items if item.project_id not in funding.unreadable]
        # Two chunks in flight: one is built and scored while the other's transaction is written.
        async with Overlap[list[dict[str, Any]]](self.writers) as writes:
            for chunk in _chunks(items, self.chunk_size):
                chunk_funding = funding
                # Once financing failed in this run, the remaining chunks do not wait for it again.
                if chunk_funding is None and not result.funding_unknown:
                    chunk_funding = await self._funding([item.project_id for item in chunk])
                if chunk_funding is None:
                    result.funding_unknown = True
                    inputs = [project_inputs(item, None, funding_known=False) for item in chunk]
                else:
                    inputs = [
                        project_inputs(
                            item,
                            chunk_funding.positions.get(item.project_id),
                            funding_known=item.project_id not in chunk_funding.unreadable,
                        )
                        for item in chunk
                    ]
                await writes.start(self._store(engine, inputs, trigger, answer.as_of))
            for written in await writes.results():
                result.items.extend(written)
        return result

    async def _funding(self, ids: list[str]) -> FundingPositions | None:
        """Funding positions, or None when financing cannot tell (the assessments then say so)."""
        try:
            return await self.financing.query_funding_positions(ids, chunk_size=self.chunk_size)
        except (PeerUnavailable, PeerContractError) as exc:
            log.warning("funding unknown for %d project(s): %s", len(ids), exc)
            return None

    async def _store(
        self, engine: ScoringEngine, inputs: list[ProjectInputs], trigger: AssessmentTrigger, as_of: date
    ) -> list[dict[str, Any]]:
        """Score ``inputs`` and write their assessments, the projects' new state and the tier changes, in one
        transaction over the locked state rows; an override found expired ends here, audited."""
        scored = engine.score_many([i.features for i in inputs])
        context = decisions.Context(trigger.value, as_of, clock.now(), current_request_id())
        rows: list[dict[str, Any]] = []
        events: list[tuple[str, dict[str, Any]]] = []
        async with self.database.transaction() as session:
            states = await repository.lock_states(session, {i.project_id: i.district for i in inputs}, context.now)
            overrides = await repository.open_overrides(session, [i.project_id for i in inputs])
            in_force, expired = decisions.split_expired(overrides, context.now)
            for project, result in zip(inputs, scored, strict=True):
                state = states[project.project_id]
                override = in_force.get(project.project_id)
                published = decisions.publish(
                    result["tier"],
                    state.hysteresis_tier,
                    state.lower_streak,
                    override.tier if override else None,
                    self.fall_after,
                )
                if project.project_id in expired:
                    self._expire(session, expired[project.project_id], published.tier)
                row = decisions.assessment_row(
                    project,
                    result,
                    published,
                    number=state.assessments + 1,
                    previous_tier=state.tier,
                    override_id=override.id if override else None,
                    context=context,
                )
                rows.append(row)
                if published.changes(state.tier):
                    data = tier_changed_data(
                        tier=row["tier"], previous_tier=state.tier, assessment=row, override_id=row["override_id"]
                    )
                    events.append((project.project_id, data))
            await repository.insert_assessments(session, rows)
            await repository.update_states(session, [decisions.state_row(row) for row in rows])
            await self.outbox.emit_many(session, EventType.project_risk_tier_changed, events)
        return [decisions.summary(row) for row in rows]

    @staticmethod
    def _expire(session: AsyncSession, override: Override, tier: RiskTier) -> None:
        """End an override found expired: it stops applying from this assessment on, and the audit says so."""
        override.ended_at = override.expires_at
        override.ended_by = SYSTEM_ACTOR
        override.end_reason = OverrideEnd.expired.value
        audit.record(
            session,
            actor=SYSTEM_ACTOR,
            actor_role=Role.service.value,
            action=AuditAction.expired,
            override=override,
            tier_before=override.tier,
            tier_after=tier.value,
        )

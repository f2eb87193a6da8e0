"""Assessing projects: facts from registry and funding from financing (bulk calls), scored, stored, announced.

``Assessor.run`` is the one way projects are assessed: by ``POST /v1/assessments``, by the worker after a
``project.facts_changed`` event, and by the funding retry. Peer calls happen outside any transaction; the
results are written a chunk at a time, each chunk in its own short transaction (locked state rows, one
executemany per table), so assessing the whole ledger never holds the database for long.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.auth import Role
from services.common.context import current_request_id
from services.common.db import Database, new_id
from services.common.events import EventType
from services.common.outbox import Outbox
from services.common.peers import PeerContractError, PeerUnavailable
from services.common.peers.financing import FinancingClient, FundingPositions
from services.common.peers.registry import RegistryClient
from services.risk.assessments import repository
from services.risk.assessments.facts import ProjectInputs, project_inputs
from services.risk.assessments.schemas import AssessmentTrigger
from services.risk.events import tier_changed_data
from services.risk.model import RiskTier, next_tier
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
        funding: FundingPositions | None = None
        if require_funding and project_ids is not None:
            funding = await self.financing.query_funding_positions(project_ids, chunk_size=self.chunk_size)
        answer = await self.registry.query_risk_facts(project_ids, chunk_size=self.chunk_size)
        result = RunResult(as_of=answer.as_of)
        if project_ids is not None:
            found = {item.project_id for item in answer.items}
            result.not_found = [p for p in dict.fromkeys(project_ids) if p not in found]
        items = list({item.project_id: item for item in answer.items}.values())
        if funding is not None:
            # A position still unreadable waits for the next retry instead of adding another unknown assessment.
            items = [item for item in items if item.project_id not in funding.unreadable]
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
            result.items.extend(await self._store(engine, inputs, trigger, answer.as_of))
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
        scored = engine.score_many([i.features for i in inputs])
        now = clock.now()
        request_id = current_request_id()
        summaries: list[dict[str, Any]] = []
        async with self.database.sessionmaker() as session, session.begin():
            states = await repository.lock_states(session, {i.project_id: i.district for i in inputs}, now)
            overrides = await repository.open_overrides(session, [i.project_id for i in inputs])
            expired = {p: o for p, o in overrides.items() if o.expires_at <= now}
            for project_id in expired:
                del overrides[project_id]
            rows: list[dict[str, Any]] = []
            state_rows: list[dict[str, Any]] = []
            events: list[tuple[str, dict[str, Any]]] = []
            for project, result in zip(inputs, scored, strict=True):
                state = states[project.project_id]
                computed = result["tier"]
                held = RiskTier(state.hysteresis_tier) if state.hysteresis_tier else None
                hysteresis_tier, streak = next_tier(held, state.lower_streak, computed, self.fall_after)
                override = overrides.get(project.project_id)
                tier = RiskTier(override.tier) if override else hysteresis_tier
                if project.project_id in expired:
                    self._expire(session, expired[project.project_id], tier)
                row = {
                    "id": new_id(),
                    "project_id": project.project_id,
                    "number": state.assessments + 1,
                    "district": project.district,
                    "created_at": now,
                    "trigger": trigger.value,
                    "request_id": request_id,
                    "facts_as_of": as_of,
                    "facts": project.facts,
                    "features": project.features_json,
                    "funding_unknown": result["funding_unknown"],
                    "probability": result["probability"],
                    "score": result["score"],
                    "contributions": result["contributions"],
                    "reason_codes": [{"code": r.code, "zh": r.zh, "en": r.en} for r in result["reason_codes"]],
                    "rules_fired": result["rules_fired"],
                    "model_version": result["model_version"],
                    "thresholds_version": result["thresholds_version"],
                    "computed_tier": computed.value,
                    "hysteresis_tier": hysteresis_tier.value,
                    "lower_streak": streak,
                    "override_id": override.id if override else None,
                    "tier": tier.value,
                    "previous_tier": state.tier,
                }
                rows.append(row)
                state_rows.append(
                    {
                        "project_id": project.project_id,
                        "district": project.district,
                        "assessments": row["number"],
                        "last_assessment_id": row["id"],
                        "hysteresis_tier": hysteresis_tier.value,
                        "lower_streak": streak,
                        "tier": tier.value,
                        "funding_unknown": row["funding_unknown"],
                        "updated_at": now,
                    }
                )
                if tier.value != state.tier:
                    data = tier_changed_data(
                        tier=tier.value, previous_tier=state.tier, assessment=row, override_id=row["override_id"]
                    )
                    events.append((project.project_id, data))
                summaries.append(
                    {
                        "project_id": project.project_id,
                        "assessment_id": row["id"],
                        "probability": row["probability"],
                        "score": row["score"],
                        "computed_tier": row["computed_tier"],
                        "tier": row["tier"],
                        "previous_tier": row["previous_tier"],
                        "funding_unknown": row["funding_unknown"],
                    }
                )
            await repository.insert_assessments(session, rows)
            await repository.update_states(session, state_rows)
            await self.outbox.emit_many(session, EventType.project_risk_tier_changed, events)
        for hook in self.database.after_commit_hooks:
            hook()
        return summaries

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

"""How the common dispatcher signs for, rate-limits and disables financing's bank endpoints."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.dispatcher import AttemptResult, EndpointInfo
from services.common.outbox import DeliveryStatus
from services.financing.settings import FinancingSettings
from services.financing.webhooks import repository
from services.financing.webhooks.schemas import DisabledReason
from services.financing.webhooks.secrets import signing_secrets

_FAILURES = (DeliveryStatus.pending, DeliveryStatus.failed)


class EndpointHooks:
    """``DispatchHooks`` for bank endpoints: during a rotation's overlap deliveries carry both signatures; a 410
    disables the endpoint at once, failing without a success for ``endpoint_disable_after_seconds`` too."""

    def __init__(self, settings: FinancingSettings) -> None:
        self.disable_after = timedelta(seconds=settings.endpoint_disable_after_seconds)

    async def resolve(self, session: AsyncSession, endpoint_ids: set[str]) -> dict[str, EndpointInfo]:
        now = clock.now()
        infos: dict[str, EndpointInfo] = {}
        for row in await repository.signing_rows(session, endpoint_ids):
            keys = signing_secrets(row.secret, row.retired_secrets, now)
            infos[row.id] = EndpointInfo(
                secrets=keys, enabled=row.enabled, rate_per_second=row.rate_limit_per_second, owner=row.bank
            )
        return infos

    async def after_attempts(self, session: AsyncSession, results: Sequence[AttemptResult]) -> None:
        gone: set[str] = set()
        succeeded: set[str] = set()
        first_failure: dict[str, datetime] = {}
        for result in results:
            if result.endpoint_id is None:
                continue
            if result.outcome is DeliveryStatus.gone:
                gone.add(result.endpoint_id)
            elif result.outcome is DeliveryStatus.delivered:
                succeeded.add(result.endpoint_id)
            elif result.outcome in _FAILURES:
                earlier = first_failure.get(result.endpoint_id)
                if earlier is None or result.attempted_at < earlier:
                    first_failure[result.endpoint_id] = result.attempted_at
        now = clock.now()
        if succeeded:
            await repository.mark_succeeding(session, succeeded)
        failing = {k: v for k, v in first_failure.items() if k not in succeeded}
        if failing:
            await repository.mark_failing(session, failing)
            await repository.disable(
                session, failing.keys(), DisabledReason.failing, now, failing_for=self.disable_after
            )
        if gone:
            await repository.disable(session, gone, DisabledReason.gone, now)

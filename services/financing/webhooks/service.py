"""Webhook endpoint rules: destinations that may receive, secrets shown once and rotated with an overlap,
enabling and disabling, and recovering what a disabled endpoint missed."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.auth import Principal
from services.common.netguard import DestinationRefused, check_destination
from services.common.problems import conflict, not_found, unprocessable
from services.financing.banks import service as banks_service
from services.financing.models import WebhookEndpoint
from services.financing.scope import acting_bank, bank_scope
from services.financing.settings import FinancingSettings
from services.financing.webhooks import repository, secrets
from services.financing.webhooks.schemas import DisabledReason, EndpointCreate, EndpointUpdate


async def check_url(url: str, settings: FinancingSettings) -> None:
    """Raises ProblemError(422) for a URL that may not receive webhooks (``netguard.check_destination``): not
    http(s), with credentials or a refused port, or a host that does not resolve to public addresses only
    (unless ``HANDOVER_WEBHOOK_ALLOW_PRIVATE``). The dispatcher checks the address again on every connection."""
    try:
        await check_destination(url, allow_private=settings.webhook_allow_private)
    except DestinationRefused as exc:
        raise unprocessable(f"This URL may not receive webhooks: {exc}.", "#/body/url", slug="refused-url") from exc


async def load_visible(
    session: AsyncSession, principal: Principal, endpoint_id: str, *, for_update: bool = False
) -> WebhookEndpoint:
    """The endpoint, or ProblemError(404) when it does not exist or belongs to another bank."""
    endpoint = await repository.get(session, endpoint_id, for_update=for_update)
    own = bank_scope(principal)
    if endpoint is None or (own is not None and endpoint.bank != own):
        raise not_found("webhook endpoint")
    return endpoint


async def create(
    session: AsyncSession, settings: FinancingSettings, principal: Principal, data: EndpointCreate
) -> WebhookEndpoint:
    """Register an endpoint with a new secret.

    Raises ProblemError 403 (a bank registering for another), 409 (the bank has
    ``FINANCING_MAX_ENDPOINTS_PER_BANK`` endpoints already), 422 (a refused URL, an unknown bank).
    """
    bank = acting_bank(principal, data.bank)
    await banks_service.ensure_registered(session, principal, bank, "#/body/bank")
    await check_url(data.url, settings)
    if await repository.count_of_bank(session, bank) >= settings.max_endpoints_per_bank:
        raise conflict(
            f"Bank {bank!r} has {settings.max_endpoints_per_bank} webhook endpoints, the most it may have; "
            "remove one (DELETE) or change one (PATCH) instead.",
            "endpoint-limit",
        )
    now = clock.now()
    endpoint = WebhookEndpoint(
        bank=bank,
        url=data.url,
        description=data.description,
        event_types=[t.value for t in data.event_types],
        enabled=data.enabled,
        disabled_reason=None if data.enabled else DisabledReason.manual.value,
        disabled_at=None if data.enabled else now,
        rate_limit_per_second=data.rate_limit_per_second,
        secret=secrets.new_secret(),
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    await session.flush()
    return endpoint


async def update(
    session: AsyncSession, settings: FinancingSettings, endpoint: WebhookEndpoint, data: EndpointUpdate
) -> WebhookEndpoint:
    """Apply a PATCH. Enabling clears the disabled state and the failure streak; disabling holds what is
    queued; a new URL takes over what is queued.

    Raises ProblemError(422) for a refused URL or a null where a value is required.
    """
    changes = data.model_dump(exclude_unset=True)
    for name in ("url", "event_types", "enabled"):
        if name in changes and changes[name] is None:
            raise unprocessable(f"`{name}` may not be null.", f"#/body/{name}")
    now = clock.now()
    if data.url is not None and data.url != endpoint.url:
        await check_url(data.url, settings)
        endpoint.url = data.url
        await repository.retarget_pending(session, endpoint.id, data.url, now)
    if data.event_types is not None:
        endpoint.event_types = [t.value for t in data.event_types]
    if "description" in changes:
        endpoint.description = data.description
    if "rate_limit_per_second" in changes:
        endpoint.rate_limit_per_second = data.rate_limit_per_second
    if data.enabled is True and not endpoint.enabled:
        endpoint.enabled = True
        endpoint.disabled_reason = None
        endpoint.disabled_at = None
        endpoint.failing_since = None
    elif data.enabled is False and endpoint.enabled:
        endpoint.enabled = False
        endpoint.disabled_reason = DisabledReason.manual.value
        endpoint.disabled_at = now
        await repository.hold_pending(session, endpoint.id, now)
    endpoint.updated_at = now
    await session.flush()
    return endpoint


async def delete(session: AsyncSession, endpoint: WebhookEndpoint) -> None:
    """Remove the endpoint; what was queued for it is held. Its delivery log stays in the outbox."""
    await repository.hold_pending(session, endpoint.id, clock.now())
    await session.delete(endpoint)
    await session.flush()


async def rotate(session: AsyncSession, settings: FinancingSettings, endpoint: WebhookEndpoint) -> datetime:
    """Give the endpoint a new secret; the current one keeps signing beside it for the configured overlap, and
    so does every secret retired before whose overlap has not ended. Returns the retired secret's expiry.

    Raises ProblemError(409) when too many secrets would sign at once.
    """
    now = clock.now()
    expires_at = secrets.rotate(endpoint, now, timedelta(seconds=settings.secret_rotation_overlap_seconds))
    endpoint.updated_at = now
    await session.flush()
    return expires_at


async def recover(session: AsyncSession, endpoint: WebhookEndpoint, since: datetime) -> int:
    """Redeliver what the endpoint missed since ``since``; returns how many deliveries were queued.

    Raises ProblemError 409 (the endpoint is disabled: enable it first), 422 (``since`` in the future).
    """
    now = clock.now()
    if since > now:
        raise unprocessable("`since` lies in the future.", "#/body/since")
    if not endpoint.enabled:
        raise conflict("The endpoint is disabled; enable it (PATCH enabled=true) before recovering.", "disabled")
    return await repository.requeue(session, endpoint, since, now)

"""``/v1/webhook-endpoints``: where a bank receives its events, the log of every attempt, and recovery."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from services.common.deps import Paging, Session
from services.common.outbox import DeliveryStatus
from services.common.pagination import Page, cut
from services.common.problems import problem_responses
from services.financing import idempotency
from services.financing.scope import BankActor, bank_scope
from services.financing.webhooks import repository, service
from services.financing.webhooks.schemas import (
    AttemptRead,
    DeliveryRead,
    EndpointCreate,
    EndpointCreated,
    EndpointRead,
    EndpointUpdate,
    RecoverCreate,
    RecoverRead,
    SecretRotated,
)

router = APIRouter(prefix="/v1/webhook-endpoints", tags=["webhook endpoints"])

EndpointId = Annotated[str, Path(min_length=36, max_length=36, description="The endpoint's id (a UUID).")]


@router.post(
    "",
    operation_id="createWebhookEndpoint",
    status_code=201,
    response_model=EndpointCreated,
    summary="Register a webhook endpoint; the answer carries its secret, shown this once",
    description="A bank registers its own endpoints (at most `FINANCING_MAX_ENDPOINTS_PER_BANK`, 409 past "
    "that); a city admin names the `bank`. The URL must be http or https without credentials, on the scheme's "
    "port or one from 1024 to 65535, and its host must resolve to public addresses only (unless "
    "`HANDOVER_WEBHOOK_ALLOW_PRIVATE` is set).",
    responses=problem_responses(409, 422),
)
async def create_endpoint(
    data: EndpointCreate, request: Request, response: Response, principal: BankActor, session: Session
) -> EndpointCreated:
    endpoint = await service.create(session, request.app.state.settings, principal, data)
    response.headers["Location"] = f"/v1/webhook-endpoints/{endpoint.id}"
    return EndpointCreated.model_validate(endpoint)


@router.get(
    "",
    operation_id="listWebhookEndpoints",
    description="The secret is never shown again after creation or rotation.",
    response_model=Page[EndpointRead],
    summary="List webhook endpoints, newest first (a bank: its own)",
    responses=problem_responses(400),
)
async def list_endpoints(principal: BankActor, session: Session, paging: Paging) -> Page[EndpointRead]:
    rows = await repository.page(session, paging, bank=bank_scope(principal))
    items, next_cursor = cut(rows, paging, lambda e: (e.created_at, e.id))
    return Page[EndpointRead](items=[EndpointRead.model_validate(e) for e in items], next_cursor=next_cursor)


@router.get(
    "/{endpoint_id}",
    operation_id="getWebhookEndpoint",
    description="With its state: enabled, or disabled and why.",
    response_model=EndpointRead,
    summary="Read one webhook endpoint",
    responses=problem_responses(404),
)
async def get_endpoint(endpoint_id: EndpointId, principal: BankActor, session: Session) -> EndpointRead:
    return EndpointRead.model_validate(await service.load_visible(session, principal, endpoint_id))


@router.patch(
    "/{endpoint_id}",
    operation_id="updateWebhookEndpoint",
    response_model=EndpointRead,
    summary="Change an endpoint: URL, event types, rate limit, or enable and disable it",
    description="`enabled: true` re-enables an endpoint disabled by hand, by a 410 or by failing for days; "
    "then `recover` what it missed.",
    responses=problem_responses(404),
)
async def update_endpoint(
    endpoint_id: EndpointId, data: EndpointUpdate, request: Request, principal: BankActor, session: Session
) -> EndpointRead:
    endpoint = await service.load_visible(session, principal, endpoint_id, for_update=True)
    endpoint = await service.update(session, request.app.state.settings, endpoint, data)
    return EndpointRead.model_validate(endpoint)


@router.delete(
    "/{endpoint_id}",
    operation_id="deleteWebhookEndpoint",
    description="What was queued for it is held; its delivery log stays.",
    status_code=204,
    response_class=Response,
    summary="Remove an endpoint; nothing more is sent to it",
    responses=problem_responses(404),
)
async def delete_endpoint(endpoint_id: EndpointId, principal: BankActor, session: Session) -> Response:
    endpoint = await service.load_visible(session, principal, endpoint_id, for_update=True)
    await service.delete(session, endpoint)
    return Response(status_code=204)


@router.post(
    "/{endpoint_id}/rotate-secret",
    operation_id="rotateWebhookSecret",
    response_model=SecretRotated,
    summary="Give the endpoint a new secret; the old one keeps signing beside it for an overlap",
    description="For `FINANCING_SECRET_ROTATION_OVERLAP_SECONDS` (a day by default) every delivery carries a "
    "signature with each secret, so the receiver can switch at any time in between. Every secret a rotation "
    "retires keeps that promise, also when another rotation follows within the overlap; at most five secrets "
    "sign at once (409 `too-many-secrets` past that). Safe to retry: with an `Idempotency-Key`, a repeat answers "
    "the same new secret (with `Idempotent-Replayed: true`) and rotates nothing; without one, a repeat rotates "
    "again, and the secret you deployed still signs until its expiry.",
    responses={
        200: {
            "description": "Rotated (or replayed)",
            "headers": {
                "Idempotent-Replayed": {
                    "description": "Present on a replay.",
                    "schema": {"type": "string", "enum": ["true"]},
                }
            },
        },
        **problem_responses(404, 409),
    },
)
async def rotate_secret(
    endpoint_id: EndpointId,
    request: Request,
    principal: BankActor,
    session: Session,
    idempotency_key: idempotency.KeyHeader = None,
) -> Response:
    async def rotate() -> idempotency.StoredAnswer:
        endpoint = await service.load_visible(session, principal, endpoint_id, for_update=True)
        expires_at = await service.rotate(session, request.app.state.settings, endpoint)
        read = EndpointRead.model_validate(endpoint)
        rotated = SecretRotated(
            id=endpoint.id,
            secret=endpoint.secret,
            previous_secret_expires_at=expires_at,
            retired_secrets_expire_at=read.retired_secrets_expire_at,
        )
        return idempotency.StoredAnswer(200, rotated.model_dump_json())

    return await idempotency.answer_once(
        session,
        request,
        principal=principal,
        key=idempotency_key,
        body=idempotency.NO_BODY,
        produce=rotate,
    )


@router.get(
    "/{endpoint_id}/deliveries",
    operation_id="listWebhookDeliveries",
    response_model=Page[DeliveryRead],
    summary="The endpoint's deliveries, newest first, each with every attempt",
    description="Each attempt: when, the status code, latency, why it failed (a note of ours, never the "
    "answer's content), and when the next attempt is due.",
    responses=problem_responses(400, 404),
)
async def list_deliveries(
    endpoint_id: EndpointId,
    principal: BankActor,
    session: Session,
    paging: Paging,
    status: Annotated[DeliveryStatus | None, Query(description="Only deliveries in this state.")] = None,
) -> Page[DeliveryRead]:
    endpoint = await service.load_visible(session, principal, endpoint_id)
    rows = await repository.deliveries_page(session, paging, endpoint.id, status)
    items, next_cursor = cut(rows, paging, lambda d: (d.created_at, d.id))
    attempts = await repository.attempts_of(session, [d.id for d in items])
    return Page[DeliveryRead](
        items=[
            DeliveryRead(
                id=d.id,
                event_id=d.event_id,
                event_type=d.event_type,
                status=DeliveryStatus(d.status),
                attempts=[AttemptRead.model_validate(a) for a in attempts.get(d.id, [])],
                next_attempt_at=d.next_attempt_at if d.status == DeliveryStatus.pending else None,
                last_status_code=d.last_status_code,
                created_at=d.created_at,
                updated_at=d.updated_at,
            )
            for d in items
        ],
        next_cursor=next_cursor,
    )


@router.post(
    "/{endpoint_id}/recover",
    operation_id="recoverWebhookDeliveries",
    status_code=202,
    response_model=RecoverRead,
    summary="Redeliver what the endpoint missed since a time",
    description="Queues again every event since `since` the bank may see and the endpoint subscribes to that "
    "did not reach it (failed, gone, held while disabled, or sent while it was disabled), with its original "
    "`webhook-id`. The endpoint must be enabled.",
    responses=problem_responses(404, 409),
)
async def recover(endpoint_id: EndpointId, data: RecoverCreate, principal: BankActor, session: Session) -> RecoverRead:
    endpoint = await service.load_visible(session, principal, endpoint_id, for_update=True)
    return RecoverRead(requeued=await service.recover(session, endpoint, data.since))

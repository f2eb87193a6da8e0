"""``Idempotency-Key`` for the POSTs that move money, and for rotating a webhook secret.

The first request with a key reserves it (a row inserted in the request's transaction) and, when it succeeds,
stores its answer there; a later request with the same key and the same body gets that answer again, with
``Idempotent-Replayed: true``, and changes nothing. A concurrent request with the key waits on the reserving
transaction's row and then replays its answer. The same key with another body (or on another resource) is
refused with 422. A request that fails stores nothing (its transaction rolls back), so it may be retried with
the same key. Keys belong to the caller: a bank's keys to the bank, anyone else's to its token's subject.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Header, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import clock
from services.common.auth import Principal, Role
from services.common.problems import unprocessable
from services.financing.models import IdempotencyKey

KeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="A unique key (a UUID, say) per intended operation: retrying with it never repeats the effect.",
    ),
]

REPLAYED_HEADER = "Idempotent-Replayed"
DESCRIPTION = (
    " With an `Idempotency-Key`, a repeat of the same request answers the first answer again (with "
    "`Idempotent-Replayed: true`) and changes nothing; the same key with another body answers 422."
)
"""What an endpoint's description says of the header."""
REPLAYED_RESPONSE_HEADERS: dict[str, Any] = {
    REPLAYED_HEADER: {"description": "Present on a replay.", "schema": {"type": "string", "enum": ["true"]}},
}
"""The OpenAPI ``headers`` of an idempotent endpoint's success answer."""


class NoBody(BaseModel):
    """The body of a POST that takes none: such requests are the same when method and path are."""


NO_BODY = NoBody()


@dataclass(frozen=True)
class StoredAnswer:
    """An answer to a request: its status, JSON body and ``Location`` (for a creation)."""

    status_code: int
    body: str
    location: str | None = None

    def response(self, *, replayed: bool = False) -> Response:
        headers = {REPLAYED_HEADER: "true"} if replayed else {}
        if self.location:
            headers["Location"] = self.location
        return Response(self.body, status_code=self.status_code, media_type="application/json", headers=headers)


async def answer_once(
    session: AsyncSession,
    request: Request,
    *,
    principal: Principal,
    key: str | None,
    body: BaseModel,
    produce: Callable[[], Awaitable[StoredAnswer]],
) -> Response:
    """``produce`` the answer, unless ``key`` was used for this request (its method, path and ``body``) before:
    then replay that answer.

    Raises ProblemError(422) when ``key`` was used for another request, and whatever ``produce`` raises.
    """
    if key is None:
        return (await produce()).response()
    owner = owner_of(principal)
    request_print = fingerprint(request.method, request.url.path, body)
    stored = await claim(session, owner=owner, key=key, fingerprint=request_print)
    if stored is not None:
        return stored.response(replayed=True)
    answer = await produce()
    await complete(session, owner=owner, key=key, answer=answer)
    return answer.response()


def owner_of(principal: Principal) -> str:
    return f"bank:{principal.bank}" if principal.role is Role.bank else f"sub:{principal.sub}"


def fingerprint(method: str, path: str, body: BaseModel) -> str:
    """What makes two requests the same: method, path and the parsed body (so `"5.0"` equals `"5.00"`)."""
    text = f"{method} {path}\n{body.model_dump_json()}"
    return hashlib.sha256(text.encode()).hexdigest()


async def claim(session: AsyncSession, *, owner: str, key: str, fingerprint: str) -> StoredAnswer | None:
    """Reserve ``key`` for this request (None), or the answer stored under it by an earlier one.

    Raises ProblemError(422) when the key was used for another request.
    """
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(IdempotencyKey)
    reserved = await session.execute(
        insert.values(owner=owner, key=key, fingerprint=fingerprint, status_code=0, body="", created_at=clock.now())
        .on_conflict_do_nothing()
        .returning(IdempotencyKey.key)
    )
    if reserved.first() is not None:
        return None
    row = (
        await session.execute(sa.select(IdempotencyKey).where(IdempotencyKey.owner == owner, IdempotencyKey.key == key))
    ).scalar_one()
    if row.fingerprint != fingerprint:
        raise unprocessable(
            "This Idempotency-Key was used for another request; use a new key for a new operation.",
            "#/header/Idempotency-Key",
            slug="idempotency-key-reused",
        )
    return StoredAnswer(row.status_code, row.body, row.location)


async def complete(session: AsyncSession, *, owner: str, key: str, answer: StoredAnswer) -> None:
    """Store the answer of the request that reserved ``key``, in its transaction."""
    await session.execute(
        sa.update(IdempotencyKey)
        .where(IdempotencyKey.owner == owner, IdempotencyKey.key == key)
        .values(status_code=answer.status_code, body=answer.body, location=answer.location)
    )

"""Risk's inbox takes only events signed with the events secret, within five minutes of their timestamp, and
bodies up to its limit; whatever it refuses leaves nothing queued."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

from services.common import clock
from services.common.db import new_id
from services.risk.models import OUTBOX, PendingReassessment
from tests.risk.conftest import Risk
from tests.support.signing import FORGED_SECRET, signed_event


async def test_forged_and_stale_events_are_refused_and_queue_nothing(risk: Risk) -> None:
    project_id = new_id()
    now = clock.now()
    refused = {
        "forged": signed_event("project.facts_changed", {"project_id": project_id}, secret=FORGED_SECRET),
        "six minutes old": signed_event(
            "project.facts_changed", {"project_id": project_id}, at=now - timedelta(minutes=6)
        ),
        "six minutes ahead": signed_event(
            "project.facts_changed", {"project_id": project_id}, at=now + timedelta(minutes=6)
        ),
    }
    for name, event in refused.items():
        response = await risk.client.post("/v1/inbox", **event.kwargs)
        assert response.status_code == 401, name
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "urn:handover:problem:bad-signature"
    assert await risk.db.count(OUTBOX.inbox) == 0
    assert await risk.db.count(PendingReassessment) == 0

    tampered = signed_event("project.facts_changed", {"project_id": project_id})
    body = tampered.body.replace(project_id.encode(), new_id().encode())
    assert (await risk.client.post("/v1/inbox", content=body, headers=tampered.headers)).status_code == 401
    assert await risk.db.count(PendingReassessment) == 0


async def test_an_event_within_the_tolerance_is_applied_once(risk: Risk) -> None:
    project_id = new_id()
    event = signed_event(
        "project.facts_changed", {"project_id": project_id}, at=clock.now() - timedelta(minutes=4, seconds=30)
    )
    first = await risk.client.post("/v1/inbox", **event.kwargs)
    assert (first.status_code, first.json()["status"]) == (200, "applied")
    again = await risk.client.post("/v1/inbox", **event.kwargs)
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert await risk.db.count(PendingReassessment, PendingReassessment.project_id == project_id) == 1


async def test_a_body_past_the_limit_is_413_with_or_without_a_length(risk: Risk) -> None:
    limit = risk.settings.max_body_bytes
    big = b'{"items": [' + b" " * limit + b"]}"

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 65_536):
            yield big[start : start + 65_536]

    for content in (big, chunks()):
        response = await risk.client.post(
            "/v1/score/batch", content=content, headers={**risk.admin, "content-type": "application/json"}
        )
        assert response.status_code == 413, response.text[:200]
        assert response.headers["content-type"] == "application/problem+json"
    inbox = await risk.client.post(
        "/v1/inbox", content=big, headers={"content-type": "application/json", "webhook-id": "msg_big"}
    )
    assert inbox.status_code == 413
    assert await risk.db.count(OUTBOX.inbox) == 0

"""Financing's inbox takes only events signed with the events secret, within five minutes of their timestamp, and
bodies up to its limit; whatever it refuses forwards nothing to the banks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

from services.common import clock
from services.financing.models import OUTBOX, ProjectRiskTier
from tests.financing.conftest import Financing, tier_change
from tests.support.signing import FORGED_SECRET, signed_event


async def exposed_project(financing: Financing) -> str:
    """A project pushed to a bank with an endpoint for tier changes: a tier change would be forwarded."""
    bank = await financing.bank()
    project = financing.project()
    await financing.pushed_entry([bank], project)
    await financing.endpoint(bank, "http://127.0.0.1:9/tiers", ["project.risk_tier_changed"])
    return str(project["id"])


async def test_forged_and_stale_events_are_refused_and_forward_nothing(financing: Financing) -> None:
    project_id = await exposed_project(financing)
    data = tier_change(project_id, 4, "red")
    now = clock.now()
    before = await financing.snapshot()
    for name, event in {
        "forged": signed_event("project.risk_tier_changed", data, secret=FORGED_SECRET),
        "six minutes old": signed_event("project.risk_tier_changed", data, at=now - timedelta(minutes=6)),
        "six minutes ahead": signed_event("project.risk_tier_changed", data, at=now + timedelta(minutes=6)),
    }.items():
        response = await financing.client.post("/v1/inbox", **event.kwargs)
        assert response.status_code == 401, name
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "urn:handover:problem:bad-signature"
    assert await financing.snapshot() == before
    assert await financing.count(OUTBOX.inbox) == 0
    assert await financing.count(ProjectRiskTier) == 0


async def test_an_event_within_the_tolerance_is_forwarded_once(financing: Financing) -> None:
    project_id = await exposed_project(financing)
    events_before = await financing.count(OUTBOX.events)
    event = signed_event(
        "project.risk_tier_changed",
        tier_change(project_id, 4, "red"),
        at=clock.now() - timedelta(minutes=4, seconds=30),
    )
    first = await financing.client.post("/v1/inbox", **event.kwargs)
    assert (first.status_code, first.json()["status"]) == (200, "applied")
    again = await financing.client.post("/v1/inbox", **event.kwargs)
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    forwarded = OUTBOX.events.c.type == "project.risk_tier_changed"
    assert await financing.count(OUTBOX.events) == events_before + 1
    assert await financing.count(OUTBOX.events, forwarded, OUTBOX.events.c.project_id == project_id) == 1


async def test_a_body_past_the_limit_is_413_with_or_without_a_length(financing: Financing) -> None:
    limit = financing.app.state.settings.max_body_bytes
    big = b'{"project_id": "' + b"x" * limit + b'"}'

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 65_536):
            yield big[start : start + 65_536]

    before = await financing.snapshot()
    for content in (big, chunks()):
        response = await financing.client.post(
            "/v1/whitelist", content=content, headers={**financing.admin, "content-type": "application/json"}
        )
        assert response.status_code == 413, response.text[:200]
        assert response.headers["content-type"] == "application/problem+json"
    inbox = await financing.client.post(
        "/v1/inbox", content=big, headers={"content-type": "application/json", "webhook-id": "msg_big"}
    )
    assert inbox.status_code == 413
    assert await financing.snapshot() == before

"""Approval events leave through the registry's outbox: signed deliveries to a subscribed peer, with payloads
shaped as the schemas the OpenAPI document publishes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import httpx
import respx
from standardwebhooks import Webhook

from services.common.settings import DEV_EVENTS_SECRET, Subscriber
from services.registry.app import create_registry_app
from services.registry.approvals.schemas import ApprovalDecided, ApprovalOverdue, ApprovalSupplementOverdue
from services.registry.settings import RegistrySettings
from tests.registry.approvals_support import city_day, create, move, run_job
from tests.registry.conftest import Registry
from tests.support.apps import running

PEER = "http://supervision.test/v1/inbox"
TYPES = ["approval.decided", "approval.overdue", "approval.supplement_overdue"]


async def test_approval_events_are_delivered_signed_to_their_subscribers(
    registry_settings: Callable[..., RegistrySettings],
) -> None:
    settings = registry_settings(subscribers=[Subscriber(url=PEER, types=TYPES)])
    tolerance = {
        "missing": [{"name": "监理合同", "due_on": "2026-10-09"}],
        "commitment": {"signer": "张伟", "signed_on": "2026-09-28"},
    }
    with respx.mock(assert_all_called=False) as router:
        inbox = router.post(PEER).mock(return_value=httpx.Response(204))
        app = create_registry_app(settings)
        async with running(app) as client:
            registry = Registry(client, settings.database_url, app)
            project = await registry.project()
            with city_day(date(2026, 10, 26)):
                late = await create(registry, project["id"])
                owing = await create(registry, project["id"], tolerance=tolerance)
                await move(registry, owing["id"], "accept", on="2026-09-29")
                await move(registry, owing["id"], "approve_with_tolerance", on="2026-10-08")
                await run_job(registry, date(2026, 10, 26))
                for _ in range(5):
                    await app.state.dispatcher.run_once()
    received: dict[str, dict[str, object]] = {}
    for call in inbox.calls:
        body = call.request.content.decode()
        with city_day(date(2026, 10, 26)):  # the signature's timestamp is checked against the (frozen) time
            envelope = Webhook(DEV_EVENTS_SECRET).verify(body, dict(call.request.headers))
        assert envelope == json.loads(body)
        received[envelope["type"]] = envelope["data"]
    # project.facts_changed (the project's registration) is not subscribed to here, so it does not come.
    assert sorted(received) == sorted(TYPES)
    decided = ApprovalDecided.model_validate(received["approval.decided"])
    overdue = ApprovalOverdue.model_validate(received["approval.overdue"])
    supplement = ApprovalSupplementOverdue.model_validate(received["approval.supplement_overdue"])
    assert (decided.approval_id, decided.decided_on, decided.within_limit) == (owing["id"], date(2026, 10, 8), True)
    assert (overdue.approval_id, overdue.due_on) == (late["id"], date(2026, 10, 23))
    assert (supplement.approval_id, supplement.material, supplement.state) == (owing["id"], "监理合同", "suspended")
    assert received["approval.overdue"]["project_id"] == project["id"]

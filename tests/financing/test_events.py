"""Events banks may see: the feed, the audience, and tier changes from risk forwarded to exposed banks."""

from __future__ import annotations

from typing import Any

from services.financing.events.catalog import ENVELOPES, WebhookEventType
from services.financing.events.schemas import EventRead
from tests.financing.conftest import Financing, tier_change
from tests.support.apps import auth
from tests.support.signing import signed_event


def _signed(webhook_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return signed_event("project.risk_tier_changed", data, webhook_id=webhook_id).kwargs


async def test_tier_changes_reach_exactly_the_exposed_banks(financing: Financing) -> None:
    pushed, lending, stranger = await financing.bank(), await financing.bank(), await financing.bank()
    project = financing.project()
    await financing.pushed_entry([pushed], project)
    direct = await financing.client.post(
        "/v1/credit-lines",
        json={"project_id": project["id"], "bank": lending, "kind": "other", "approved_amount": "5.00"},
        headers=financing.admin,
    )
    assert direct.status_code == 201
    await financing.endpoint(stranger, "http://127.0.0.1:9/s", ["project.risk_tier_changed"])
    await financing.endpoint(pushed, "http://127.0.0.1:9/p", ["project.risk_tier_changed"])
    await financing.endpoint(lending, "http://127.0.0.1:9/l", ["credit_line.approved"])
    response = await financing.client.post("/v1/inbox", **_signed("msg_r1", tier_change(project["id"], 4, "red")))
    assert response.json()["status"] == "applied"
    stale = await financing.client.post("/v1/inbox", **_signed("msg_r0", tier_change(project["id"], 3, "green")))
    assert stale.status_code == 200
    unexposed = financing.project()
    await financing.client.post("/v1/inbox", **_signed("msg_r2", tier_change(unexposed["id"], 1, "orange")))
    rows = await financing.rows(
        "SELECT a.bank FROM event_audience a JOIN outbox_events e ON e.id = a.event_id "
        "WHERE e.type = 'project.risk_tier_changed' ORDER BY a.bank"
    )
    assert sorted(r.bank for r in rows) == sorted([pushed, lending])
    deliveries = await financing.rows(
        "SELECT d.url FROM outbox_deliveries d JOIN outbox_events e ON e.id = d.event_id "
        "WHERE e.type = 'project.risk_tier_changed'"
    )
    assert [d.url for d in deliveries] == ["http://127.0.0.1:9/p"]
    feed = (
        await financing.client.get(
            "/v1/events", params={"type": "project.risk_tier_changed"}, headers=auth("bank", bank=lending)
        )
    ).json()
    [event] = feed["items"]
    assert event["data"]["tier"] == "red"
    assert event["data"]["risk_sequence"] == 4
    assert event["data"]["project_id"] == project["id"]
    assert (await financing.client.get("/v1/events", headers=auth("bank", bank=stranger))).json()["items"] == []
    bad = await financing.client.post("/v1/inbox", **_signed("msg_bad", {"project_id": project["id"], "tier": "pink"}))
    assert bad.status_code == 422
    assert await financing.count("inbox_messages", "WHERE webhook_id = 'msg_bad'") == 0


async def test_the_feed_pages_filters_and_matches_the_documented_payloads(financing: Financing) -> None:
    bank = await financing.bank()
    headers = auth("bank", bank=bank)
    line = await financing.credit_line(bank, amount="100.00")
    disbursement = (await financing.disburse(line["id"], bank, "40.00")).json()
    await financing.client.post(
        f"/v1/disbursements/{disbursement['id']}/reversal", json={"reason": "退回"}, headers=headers
    )
    await financing.step(line["entry_id"], "remove", reason="no_financing_need")
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await financing.client.get("/v1/events", params=params, headers=headers)).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [e["type"] for e in seen] == [
        "whitelist.entry_pushed",
        "credit_line.approved",
        "whitelist.bank_decision_recorded",
        "disbursement.recorded",
        "disbursement.reversed",
        "whitelist.entry_removed",
    ]
    assert [e["data"]["sequence"] for e in seen] == [1, 2, 3, 4, 5, 6]
    for event in seen:
        ENVELOPES[WebhookEventType(event["type"])].model_validate(event)
    assert seen[4]["data"]["line_available_amount"] == "100.00"
    only = (
        await financing.client.get(
            "/v1/events", params=[("type", "disbursement.recorded"), ("type", "disbursement.reversed")], headers=headers
        )
    ).json()
    assert [e["type"] for e in only["items"]] == ["disbursement.recorded", "disbursement.reversed"]
    later = (await financing.client.get("/v1/events", params={"since": seen[3]["timestamp"]}, headers=headers)).json()
    assert [e["id"] for e in later["items"]] == [e["id"] for e in seen[3:]]
    naive = await financing.client.get("/v1/events", params={"since": "2025-01-01T00:00:00"}, headers=headers)
    assert naive.status_code == 422
    officer = await financing.client.get("/v1/events", headers=auth("district_officer", district="990101"))
    assert officer.status_code == 403


async def test_every_bank_event_is_documented_in_the_openapi_webhooks(financing: Financing) -> None:
    spec = (await financing.client.get("/openapi.json")).json()
    assert set(spec["webhooks"]) == {t.value for t in WebhookEventType}
    for name, item in spec["webhooks"].items():
        operation = item["post"]
        assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].startswith(
            "#/components/schemas/"
        ), name
        names = {p["name"].lower() for p in operation["parameters"] if "name" in p}
        assert names >= {"webhook-id", "webhook-timestamp", "webhook-signature"}


def test_the_feed_reads_every_event_a_bank_is_sent() -> None:
    # The feed's union is written out for generated clients; an event type missing from it is a 500 on the feed.
    feed_types = {member.model_fields["type"].annotation.__args__[0] for member in EventRead.__args__[0].__args__}
    assert feed_types == {t.value for t in WebhookEventType} == {t.value for t in ENVELOPES}


async def test_unknown_query_parameters_are_refused(financing: Financing) -> None:
    response = await financing.client.get(
        "/v1/events", params={"tpye": "credit_line.approved"}, headers=financing.admin
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"pointer": "#/query/tpye", "detail": "unknown query parameter"}]
    lines = await financing.client.get("/v1/credit-lines", params={"bank": "AB", "limit": 5}, headers=financing.admin)
    assert lines.status_code == 200

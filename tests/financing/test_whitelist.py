"""The whitelist lifecycle: nomination against the registry, pre-review, approval, pushes, decisions."""

from __future__ import annotations

from datetime import date

from tests.financing.conftest import DISTRICT, OTHER_DISTRICT, Financing
from tests.support.apps import auth


async def test_lifecycle_to_a_push_and_its_history(financing: Financing) -> None:
    bank = await financing.bank()
    project = financing.project()
    officer = auth("district_officer", district=DISTRICT)
    response = await financing.client.post(
        "/v1/whitelist",
        json={"project_id": project["id"], "category": "temporary_difficulty", "requested_amount": "80000000.50"},
        headers=officer,
    )
    assert response.status_code == 201, response.text
    entry = response.json()
    assert response.headers["location"] == f"/v1/whitelist/{entry['id']}"
    assert entry["status"] == "nominated"
    assert entry["district"] == DISTRICT
    assert entry["project_code"] == project["code"]
    assert entry["requested_amount"] == "80000000.50"
    assert (await financing.step(entry["id"], "prereview_pass", officer)).json()["status"] == "prereviewed"
    refused = await financing.step(entry["id"], "city_approve", officer)
    assert refused.status_code == 403
    assert (await financing.step(entry["id"], "city_approve")).json()["status"] == "listed"
    pushed = await financing.step(entry["id"], "push", banks=[bank])
    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["status"] == "pushed"
    assert [p["bank"] for p in pushed.json()["pushes"]] == [bank]
    history = (await financing.client.get(f"/v1/whitelist/{entry['id']}/history", headers=officer)).json()["items"]
    assert [h["action"] for h in history] == [None, "prereview_pass", "city_approve", "push"]
    assert history[-1]["banks"] == [bank]
    events = await financing.rows("SELECT type, project_id, sequence FROM outbox_events")
    assert [(e.type, e.project_id, e.sequence) for e in events] == [("whitelist.entry_pushed", project["id"], 1)]
    assert await financing.count("event_audience", f"WHERE bank = '{bank}'") == 1


async def test_illegal_transitions_are_409_and_change_nothing(financing: Financing) -> None:
    entry = await financing.entry()
    for action, fields in (("city_approve", {}), ("push", {"banks": ["X1"]}), ("resubmit", {})):
        response = await financing.step(entry["id"], action, **fields)
        assert response.status_code == 409, (action, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "urn:handover:problem:illegal-transition"
    assert (await financing.client.get(f"/v1/whitelist/{entry['id']}", headers=financing.admin)).json()[
        "status"
    ] == "nominated"
    assert await financing.count("whitelist_transitions") == 1


async def test_return_for_rectification_and_resubmit(financing: Financing) -> None:
    entry = await financing.entry()
    missing_note = await financing.step(entry["id"], "return_for_rectification")
    assert missing_note.status_code == 422
    assert missing_note.json()["errors"][0]["pointer"] == "#/body/note"
    returned = await financing.step(entry["id"], "return_for_rectification", note="补充资金平衡测算")
    assert returned.json()["status"] == "returned"
    resubmitted = await financing.step(entry["id"], "resubmit", requested_amount="150000000.00")
    assert resubmitted.status_code == 200, resubmitted.text
    assert resubmitted.json()["status"] == "nominated"
    assert resubmitted.json()["requested_amount"] == "150000000.00"


async def test_remove_needs_a_reason_and_allows_a_new_nomination(financing: Financing) -> None:
    bank = await financing.bank()
    project = financing.project()
    entry = await financing.pushed_entry([bank], project)
    assert (await financing.step(entry["id"], "remove")).status_code == 422
    bad = await financing.step(entry["id"], "remove", reason="tired")
    assert bad.status_code == 422
    other = await financing.step(entry["id"], "remove", reason="other")
    assert other.json()["errors"][0]["pointer"] == "#/body/note"
    removed = await financing.step(entry["id"], "remove", reason="assets_seized_or_frozen")
    assert removed.status_code == 200, removed.text
    assert removed.json()["removal_reason"] == "assets_seized_or_frozen"
    assert (await financing.step(entry["id"], "remove", reason="other", note="x")).status_code == 409
    assert await financing.count("event_audience", "WHERE type = 'whitelist.entry_removed'") == 1
    late = await financing.decide(entry["id"], bank, decision="decline", reason="太晚")
    assert late.status_code == 409
    again = await financing.entry(project)
    assert again["status"] == "nominated"


async def test_nomination_asks_the_registry(financing: Financing) -> None:
    unknown = await financing.client.post(
        "/v1/whitelist",
        json={"project_id": "00000000-0000-4000-8000-000000000000", "category": "normal", "requested_amount": "1.00"},
        headers=financing.admin,
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["pointer"] == "#/body/project_id"
    for status in ("terminated", "closed"):
        finished = financing.project(status=status)
        response = await financing.client.post(
            "/v1/whitelist",
            json={"project_id": finished["id"], "category": "normal", "requested_amount": "1.00"},
            headers=financing.admin,
        )
        assert response.status_code == 409, response.text
        assert response.json()["type"] == "urn:handover:problem:project-not-eligible"
    project = financing.project()
    await financing.entry(project)
    duplicate = await financing.client.post(
        "/v1/whitelist",
        json={"project_id": project["id"], "category": "normal", "requested_amount": "1.00"},
        headers=financing.admin,
    )
    assert duplicate.status_code == 409
    financing.registry.unavailable = True
    down = await financing.client.post(
        "/v1/whitelist",
        json={"project_id": financing.project()["id"], "category": "normal", "requested_amount": "1.00"},
        headers=financing.admin,
    )
    assert down.status_code == 503
    assert down.headers["content-type"] == "application/problem+json"
    assert await financing.count("whitelist_entries") == 1


async def test_district_officer_sees_and_nominates_only_its_district(financing: Financing) -> None:
    mine = await financing.entry(financing.project(district=DISTRICT))
    theirs = await financing.entry(financing.project(district=OTHER_DISTRICT))
    officer = auth("district_officer", district=DISTRICT)
    listed = (await financing.client.get("/v1/whitelist", headers=officer)).json()
    assert [e["id"] for e in listed["items"]] == [mine["id"]]
    assert (await financing.client.get(f"/v1/whitelist/{theirs['id']}", headers=officer)).status_code == 404
    assert (await financing.step(theirs["id"], "prereview_pass", officer)).status_code == 404
    foreign = financing.project(district=OTHER_DISTRICT)
    response = await financing.client.post(
        "/v1/whitelist",
        json={"project_id": foreign["id"], "category": "normal", "requested_amount": "1.00"},
        headers=officer,
    )
    assert response.status_code == 422
    viewer = auth("viewer")
    assert len((await financing.client.get("/v1/whitelist", headers=viewer)).json()["items"]) == 2
    assert (await financing.step(mine["id"], "prereview_pass", viewer)).status_code == 403


async def test_decisions_approve_opens_a_line_and_declines_are_listed(financing: Financing, today: date) -> None:
    first, second = await financing.bank(), await financing.bank()
    entry = await financing.pushed_entry([first, second])
    maturity = today.replace(year=today.year + 3, day=1).isoformat()
    approve = await financing.decide(
        entry["id"], first, decision="approve", amount="50000000.00", kind="special_loan", maturity_date=maturity
    )
    assert approve.status_code == 201, approve.text
    line_id = approve.json()["credit_line_id"]
    line = (await financing.client.get(f"/v1/credit-lines/{line_id}", headers=financing.admin)).json()
    assert line["kind"] == "special_loan"
    assert line["approved_amount"] == "50000000.00"
    assert line["available_amount"] == "50000000.00"
    assert line["entry_id"] == entry["id"]
    assert (await financing.decide(entry["id"], first, decision="decline", reason="再议")).status_code == 409
    no_reason = await financing.decide(entry["id"], second, decision="decline")
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["pointer"] == "#/body/reason"
    decline = await financing.decide(entry["id"], second, decision="decline", reason="抵押物不足")
    assert decline.status_code == 201
    assert decline.headers["location"] == f"/v1/whitelist/decisions/{decline.json()['id']}"
    declines = (
        await financing.client.get("/v1/whitelist/decisions", params={"decision": "decline"}, headers=financing.admin)
    ).json()
    assert [(d["bank"], d["reason"]) for d in declines["items"]] == [(second, "抵押物不足")]
    types = [r.type for r in await financing.rows("SELECT type FROM outbox_events ORDER BY created_at")]
    assert types.count("whitelist.bank_decision_recorded") == 2
    assert types.count("credit_line.approved") == 1
    entry_now = (await financing.client.get(f"/v1/whitelist/{entry['id']}", headers=financing.admin)).json()
    assert {p["bank"]: p["decision"] for p in entry_now["pushes"]} == {first: "approve", second: "decline"}


async def test_push_to_unknown_or_repeated_bank(financing: Financing) -> None:
    bank = await financing.bank()
    entry = await financing.pushed_entry([bank])
    before = await financing.snapshot()
    unknown = await financing.step(entry["id"], "push", banks=["NOPE-1"])
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["pointer"] == "#/body/banks/0"
    repeated = await financing.step(entry["id"], "push", banks=[bank])
    assert repeated.status_code == 409
    assert await financing.snapshot() == before
    later = await financing.bank()
    assert (await financing.step(entry["id"], "push", banks=[later])).status_code == 200

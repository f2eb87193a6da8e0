"""Bank webhooks delivered to a real receiver process that verifies every request with ``standardwebhooks``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from services.common import clock
from tests.financing.conftest import Financing, Receiver
from tests.support.apps import auth


async def _delivered(financing: Financing, count: int = 1) -> None:
    async def done() -> bool:
        return await financing.count("outbox_deliveries", "WHERE status = 'delivered'") >= count

    await financing.deliver_until(done)


@pytest.mark.processes
async def test_retries_carry_the_same_webhook_id_and_every_attempt_is_logged(
    financing: Financing, start_receiver: type[Receiver]
) -> None:
    bank = await financing.bank()
    receiver = start_receiver(["whsec_" + "A" * 40], plan=[500, 500])
    endpoint = await financing.endpoint(bank, receiver.url)
    assert endpoint["secret"].startswith("whsec_")
    receiver.process.stop()
    receiver = start_receiver([endpoint["secret"]], plan=[500, 500])
    await financing.client.patch(
        f"/v1/webhook-endpoints/{endpoint['id']}", json={"url": receiver.url}, headers=auth("bank", bank=bank)
    )
    entry = await financing.pushed_entry([bank])
    await _delivered(financing)
    received = receiver.received()
    assert [r["answered"] for r in received] == [500, 500, 200]
    assert len({r["webhook_id"] for r in received}) == 1
    assert received[-1]["type"] == "whitelist.entry_pushed"
    assert received[-1]["data"]["entry_id"] == entry["id"]
    assert received[-1]["data"]["project_id"] == entry["project_id"]
    assert received[-1]["data"]["sequence"] == 1
    page = (
        await financing.client.get(
            f"/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=auth("bank", bank=bank)
        )
    ).json()
    [delivery] = page["items"]
    assert delivery["event_id"] == received[0]["webhook_id"]
    assert delivery["status"] == "delivered"
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 200]
    assert all(a["latency_ms"] >= 0 for a in delivery["attempts"])
    assert delivery["attempts"][0]["next_attempt_at"] is not None
    assert delivery["attempts"][-1]["next_attempt_at"] is None
    # What the receiver answered (a JSON body) is neither kept nor shown: status and timing only.
    assert set(delivery["attempts"][0]) == {"attempted_at", "status_code", "latency_ms", "error", "next_attempt_at"}


@pytest.mark.processes
async def test_410_disables_and_recover_redelivers_with_the_same_ids(
    financing: Financing, start_receiver: type[Receiver]
) -> None:
    bank = await financing.bank()
    started = clock.now() - timedelta(seconds=1)
    endpoint = await financing.endpoint(bank, "http://127.0.0.1:9/placeholder")
    receiver = start_receiver([endpoint["secret"]], plan=[410])
    headers = auth("bank", bank=bank)
    url = f"/v1/webhook-endpoints/{endpoint['id']}"
    await financing.client.patch(url, json={"url": receiver.url}, headers=headers)
    await financing.pushed_entry([bank])

    async def disabled() -> bool:
        return not (await financing.client.get(url, headers=headers)).json()["enabled"]

    await financing.deliver_until(disabled)
    read = (await financing.client.get(url, headers=headers)).json()
    assert read["disabled_reason"] == "gone"
    await financing.pushed_entry([bank])
    assert await financing.count("outbox_deliveries") == 1
    refused = await financing.client.post(f"{url}/recover", json={"since": started.isoformat()}, headers=headers)
    assert refused.status_code == 409
    enabled = await financing.client.patch(url, json={"enabled": True}, headers=headers)
    assert enabled.json()["enabled"] is True and enabled.json()["disabled_reason"] is None
    recovered = await financing.client.post(f"{url}/recover", json={"since": started.isoformat()}, headers=headers)
    assert recovered.status_code == 202
    assert recovered.json() == {"requeued": 2}
    await _delivered(financing, 2)
    events = {r.id for r in await financing.rows("SELECT id FROM outbox_events")}
    received = receiver.received()
    assert [r["answered"] for r in received] == [410, 200, 200]
    assert {r["webhook_id"] for r in received} == events
    again = await financing.client.post(f"{url}/recover", json={"since": started.isoformat()}, headers=headers)
    assert again.json() == {"requeued": 0}


async def _expire_retired(financing: Financing, endpoint_id: str, secret_index: int) -> None:
    """End the overlap of one retired secret now, as time passing would."""
    [row] = await financing.rows(f"SELECT retired_secrets FROM webhook_endpoints WHERE id = '{endpoint_id}'")
    retired = row.retired_secrets if isinstance(row.retired_secrets, list) else json.loads(row.retired_secrets)
    retired[secret_index]["expires_at"] = (clock.now() - timedelta(seconds=1)).isoformat()
    await financing.execute(
        f"UPDATE webhook_endpoints SET retired_secrets = '{json.dumps(retired)}' WHERE id = '{endpoint_id}'"
    )


@pytest.mark.processes
async def test_every_retired_secret_signs_until_its_promised_expiry(
    financing_factory: type[Financing], start_receiver: type[Receiver]
) -> None:
    async with financing_factory(secret_rotation_overlap_seconds=3600) as financing:
        bank = await financing.bank()
        endpoint = await financing.endpoint(bank, "http://127.0.0.1:9/placeholder")
        first_secret = endpoint["secret"]
        headers = auth("bank", bank=bank)
        url = f"/v1/webhook-endpoints/{endpoint['id']}"
        rotated = await financing.client.post(f"{url}/rotate-secret", headers=headers)
        assert rotated.status_code == 200
        second_secret = rotated.json()["secret"]
        assert second_secret.startswith("whsec_") and second_secret != first_secret
        first_expiry = datetime.fromisoformat(rotated.json()["previous_secret_expires_at"])
        assert timedelta(minutes=59) < first_expiry - clock.now() <= timedelta(hours=1)
        # A second rotation within the overlap keeps the first promise as well as making a new one.
        again = (await financing.client.post(f"{url}/rotate-secret", headers=headers)).json()
        third_secret = again["secret"]
        expiries = [datetime.fromisoformat(t) for t in again["retired_secrets_expire_at"]]
        assert expiries[0] == first_expiry and expiries[1] == datetime.fromisoformat(
            again["previous_secret_expires_at"]
        )
        shown = (await financing.client.get(url, headers=headers)).json()
        assert [datetime.fromisoformat(t) for t in shown["retired_secrets_expire_at"]] == expiries
        assert "secret" not in shown and "retired_secrets" not in shown
        receivers = [start_receiver([secret]) for secret in (first_secret, second_secret, third_secret)]
        for delivered, receiver in enumerate(receivers, start=1):
            await financing.client.patch(url, json={"url": receiver.url}, headers=headers)
            await financing.pushed_entry([bank])
            await _delivered(financing, delivered)
            assert [r["answered"] for r in receiver.received()] == [200]
        await _expire_retired(financing, endpoint["id"], 0)
        await financing.client.patch(url, json={"url": receivers[0].url}, headers=headers)
        await financing.pushed_entry([bank])
        for _ in range(5):
            await financing.app.state.dispatcher.run_once()
        attempts = await financing.rows("SELECT status_code FROM outbox_attempts WHERE status_code <> 200")
        assert attempts and {a.status_code for a in attempts} == {401}
        assert [r["answered"] for r in receivers[0].received()] == [200]
        left = (await financing.client.get(url, headers=headers)).json()["retired_secrets_expire_at"]
        assert [datetime.fromisoformat(t) for t in left] == expiries[1:]


async def test_a_rotation_retried_with_its_idempotency_key_answers_the_same_secret(financing: Financing) -> None:
    bank = await financing.bank()
    endpoint = await financing.endpoint(bank, "http://127.0.0.1:9/placeholder")
    url = f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret"
    headers = {**auth("bank", bank=bank), "Idempotency-Key": "rotate-2026-01"}
    first = await financing.client.post(url, headers=headers)
    retried = await financing.client.post(url, headers=headers)
    assert first.status_code == retried.status_code == 200
    assert retried.json() == first.json()
    assert retried.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    [row] = await financing.rows(f"SELECT secret, retired_secrets FROM webhook_endpoints WHERE id = '{endpoint['id']}'")
    assert row.secret == first.json()["secret"]
    retired = row.retired_secrets if isinstance(row.retired_secrets, list) else json.loads(row.retired_secrets)
    assert [r["secret"] for r in retired] == [endpoint["secret"]]
    other = await financing.endpoint(bank, "http://127.0.0.1:9/other")
    reused = await financing.client.post(f"/v1/webhook-endpoints/{other['id']}/rotate-secret", headers=headers)
    assert reused.status_code == 422
    assert reused.json()["type"] == "urn:handover:problem:idempotency-key-reused"


async def test_at_most_five_secrets_sign_at_once(financing: Financing) -> None:
    bank = await financing.bank()
    endpoint = await financing.endpoint(bank, "http://127.0.0.1:9/placeholder")
    url = f"/v1/webhook-endpoints/{endpoint['id']}"
    headers = auth("bank", bank=bank)
    for _ in range(4):
        assert (await financing.client.post(f"{url}/rotate-secret", headers=headers)).status_code == 200
    before = await financing.rows(
        f"SELECT secret, retired_secrets FROM webhook_endpoints WHERE id = '{endpoint['id']}'"
    )
    refused = await financing.client.post(f"{url}/rotate-secret", headers=headers)
    assert refused.status_code == 409
    assert refused.json()["type"] == "urn:handover:problem:too-many-secrets"
    assert (
        await financing.rows(f"SELECT secret, retired_secrets FROM webhook_endpoints WHERE id = '{endpoint['id']}'")
        == before
    )
    await _expire_retired(financing, endpoint["id"], 0)
    assert (await financing.client.post(f"{url}/rotate-secret", headers=headers)).status_code == 200


async def test_urls_resolving_to_private_addresses_are_refused(financing_factory: type[Financing]) -> None:
    async with financing_factory(webhook_allow_private=False) as financing:
        bank = await financing.bank()
        headers = auth("bank", bank=bank)
        for url in (
            "http://127.0.0.1:8080/hooks",
            "http://localhost/hooks",
            "http://10.1.2.3/hooks",
            "http://[::1]/hooks",
            "http://169.254.169.254/latest",
            "ftp://93.184.216.34/hooks",
            "http://user:pw@93.184.216.34/hooks",
        ):
            response = await financing.client.post(
                "/v1/webhook-endpoints", json={"url": url, "event_types": ["credit_line.approved"]}, headers=headers
            )
            assert response.status_code == 422, (url, response.text)
            assert response.headers["content-type"] == "application/problem+json"
        assert await financing.count("webhook_endpoints") == 0
        public = await financing.client.post(
            "/v1/webhook-endpoints",
            json={"url": "https://93.184.216.34/hooks", "event_types": ["credit_line.approved"]},
            headers=headers,
        )
        assert public.status_code == 201, public.text
        moved = await financing.client.patch(
            f"/v1/webhook-endpoints/{public.json()['id']}", json={"url": "http://192.168.0.1/x"}, headers=headers
        )
        assert moved.status_code == 422
        assert (await financing.rows("SELECT url FROM webhook_endpoints"))[0].url == "https://93.184.216.34/hooks"


@pytest.mark.processes
async def test_an_endpoint_failing_without_a_break_is_disabled(
    financing_factory: type[Financing], start_receiver: type[Receiver]
) -> None:
    async with financing_factory(endpoint_disable_after_seconds=0.3) as financing:
        bank = await financing.bank()
        endpoint = await financing.endpoint(bank, "http://127.0.0.1:9/placeholder")
        receiver = start_receiver([endpoint["secret"]], plan=[503] * 100)
        headers = auth("bank", bank=bank)
        url = f"/v1/webhook-endpoints/{endpoint['id']}"
        await financing.client.patch(url, json={"url": receiver.url}, headers=headers)
        await financing.pushed_entry([bank])

        async def disabled() -> bool:
            return not (await financing.client.get(url, headers=headers)).json()["enabled"]

        await financing.deliver_until(disabled)
        read = (await financing.client.get(url, headers=headers)).json()
        assert read["disabled_reason"] == "failing"
        assert read["failing_since"] is not None
        assert await financing.count("outbox_deliveries", "WHERE status = 'held'") == 1


async def test_endpoint_crud_rate_limit_and_the_secret_shown_once(financing: Financing) -> None:
    bank = await financing.bank()
    headers = auth("bank", bank=bank)
    created = await financing.client.post(
        "/v1/webhook-endpoints",
        json={
            "url": "http://127.0.0.1:9/x",
            "event_types": ["disbursement.recorded", "disbursement.recorded", "credit_line.approved"],
            "rate_limit_per_second": 5,
        },
        headers=headers,
    )
    assert created.status_code == 201
    body = created.json()
    assert body["event_types"] == ["disbursement.recorded", "credit_line.approved"]
    assert body["bank"] == bank
    url = f"/v1/webhook-endpoints/{body['id']}"
    read = (await financing.client.get(url, headers=headers)).json()
    assert "secret" not in read
    async with financing.app.state.database.sessionmaker() as session:
        infos = await financing.app.state.dispatcher.hooks.resolve(session, {body["id"]})
    assert infos[body["id"]].rate_per_second == 5
    assert list(infos[body["id"]].secrets) == [body["secret"]]
    bad_type = await financing.client.patch(url, json={"event_types": ["project.facts_changed"]}, headers=headers)
    assert bad_type.status_code == 422
    null_url = await financing.client.patch(url, json={"url": None}, headers=headers)
    assert null_url.status_code == 422
    cleared = await financing.client.patch(url, json={"rate_limit_per_second": None}, headers=headers)
    assert cleared.json()["rate_limit_per_second"] is None
    assert (await financing.client.delete(url, headers=headers)).status_code == 204
    assert (await financing.client.get(url, headers=headers)).status_code == 404


@pytest.mark.parametrize("role", ["viewer", "district_officer", "service"])
async def test_only_banks_and_city_admins_manage_endpoints(financing: Financing, role: str) -> None:
    claims = {"district": "990101"} if role == "district_officer" else {}
    response = await financing.client.get("/v1/webhook-endpoints", headers=auth(role, **claims))
    assert response.status_code == 403


@pytest.mark.processes
async def test_the_rate_limit_spaces_deliveries_out(financing: Financing, start_receiver: type[Receiver]) -> None:
    bank = await financing.bank()
    endpoint = await financing.endpoint(bank, "http://127.0.0.1:9/placeholder", rate_limit_per_second=1)
    receiver = start_receiver([endpoint["secret"]])
    await financing.client.patch(
        f"/v1/webhook-endpoints/{endpoint['id']}", json={"url": receiver.url}, headers=auth("bank", bank=bank)
    )
    for _ in range(3):
        await financing.pushed_entry([bank])
    await financing.app.state.dispatcher.run_once()
    assert await financing.count("outbox_deliveries", "WHERE status = 'delivered'") == 1
    assert await financing.count("outbox_deliveries", "WHERE status = 'pending' AND attempts = 0") == 2
    assert await financing.count("outbox_attempts") == 1

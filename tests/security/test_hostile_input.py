"""Input no database can store, and the one answer an unexpected error gets: NUL characters anywhere in a
request are a 422 that changes nothing, on SQLite (which would store them) and PostgreSQL (which refuses them);
a 500 carries its request id in the answer and in its log line."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest

from services.common.logs import JsonFormatter
from tests.security.conftest import ADMIN, Service
from tests.support import factories


def _assert_nul_refused(response: httpx.Response, pointer: str = "#/body") -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:handover:problem:nul-character"
    assert [error["pointer"] for error in response.json()["errors"]] == [pointer]


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_nul_in_a_json_body_is_refused_on_every_service(
    registry: Service, financing: Service, risk: Service
) -> None:
    _assert_nul_refused(
        await registry.client.post("/v1/developers", json=factories.developer(name="示范\u0000置业"), headers=ADMIN)
    )
    _assert_nul_refused(
        await financing.client.post("/v1/banks", json={"code": "NUL", "name": "银行\u0000"}, headers=ADMIN)
    )
    project_id = "00000000-0000-4000-8000-000000000001"
    _assert_nul_refused(
        await risk.client.post(
            f"/v1/projects/{project_id}/override", json={"tier": "red", "reason": "\u0000"}, headers=ADMIN
        )
    )
    assert await registry.count("developers") == 0
    assert await financing.count("banks") == 0
    assert await risk.count("overrides") == 0


async def test_nul_is_found_however_the_body_is_cut_and_wherever_it_is_sent(registry: Service) -> None:
    client = registry.client
    json_headers = {**ADMIN, "content-type": "application/json"}
    body = orjson.dumps(factories.developer(name="ab"))
    head, tail = body.split(b'"ab"')
    # The escape arrives cut across two chunks of the body.
    split = await client.post(
        "/v1/developers", content=_chunks(head + b'"a\\u00', b'00b"' + tail), headers=json_headers
    )
    _assert_nul_refused(split)
    _assert_nul_refused(await client.post("/v1/developers", content=head + b'"a\x00b"' + tail, headers=json_headers))
    _assert_nul_refused(await client.get("/v1/projects", params={"q": "锦绣\u0000"}, headers=ADMIN), "#/query/q")
    _assert_nul_refused(await client.get("/v1/developers/%00", headers=ADMIN), "#/path")
    assert await registry.count("developers") == 0

    # An escaped backslash before u0000 is six characters of text, not a NUL.
    text = await client.post("/v1/developers", content=head + b'"a\\\\u0000b"' + tail, headers=json_headers)
    assert text.status_code == 201, text.text
    assert text.json()["name"] == "a\\u0000b"


async def test_an_unexpected_error_carries_its_request_id_in_the_answer_and_the_log(
    registry: Service, caplog: pytest.LogCaptureFixture
) -> None:
    async def explode() -> None:
        raise RuntimeError("password=hunter2 in a stack trace")

    registry.app.add_api_route("/v1/explode", explode)
    caplog.set_level(logging.ERROR)
    response = await registry.client.get("/v1/explode", headers={**ADMIN, "X-Request-ID": "trace-500-0001"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"] == "trace-500-0001"
    assert "hunter2" not in response.text
    assert response.json()["type"] == "urn:handover:problem:internal-error"
    (record,) = [r for r in caplog.records if r.getMessage() == "unhandled error"]
    line = orjson.loads(JsonFormatter("registry").format(record))
    assert line["request_id"] == "trace-500-0001"
    assert "hunter2" in line["exc"], "the log keeps what the answer hides"

    caplog.clear()
    generated = await registry.client.get("/v1/explode", headers=ADMIN)
    assert generated.status_code == 500
    (record,) = [r for r in caplog.records if r.getMessage() == "unhandled error"]
    assert orjson.loads(JsonFormatter("registry").format(record))["request_id"] == generated.headers["x-request-id"]

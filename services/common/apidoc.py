"""The OpenAPI document each service publishes: FastAPI's, completed with what a generated client needs.

FastAPI writes the paths and schemas from the code. This module adds what the routes cannot say one by one:
every error answered as problem+json, the headers every answer carries, who needs a token, the servers, the
problem-type catalogue, UUID formats on ids, and the conventions a client must follow.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel

from services.common.problem_types import CATALOGUE
from services.common.problems import PROBLEM_MEDIA_TYPE, Problem

INTERNAL = "x-internal"
PEER_ONLY: dict[str, Any] = {INTERNAL: True}
PEER_TAG = "peers"

QUERY_RULE = "Query strings are closed: an unknown query parameter, or one given twice that is not a list, answers 422."

CONVENTIONS = f"""
## Conventions

- Ids are UUID strings; money is a decimal string in yuan with two places (`"125000000.00"`), never a number;
  dates are `YYYY-MM-DD`, timestamps RFC 3339 in UTC.
- Lists take `limit` (default 50, at most 500) and `cursor`, and answer `{{"items": [...], "next_cursor": ...}}`:
  pass `next_cursor` back as `cursor` until it is null.
- {QUERY_RULE}
- A POST that creates answers 201 with the resource and a `Location` header.
- Every error is RFC 9457 `application/problem+json`; switch on its `type`, one of the `urn:handover:problem:*`
  values listed in `x-problem-types` and in the `Problem` schema.
- `X-Request-ID` is accepted (or made up) and echoed on every answer; quote it when reporting a problem.
- Header names are case-insensitive; this document writes each in its registered form.
- Operations marked `x-internal: true` (tag `{PEER_TAG}`) serve the other Handover services only: SDK
  generators may leave them out.
"""

COMMON_TAGS: list[dict[str, str]] = [
    {"name": "operations", "description": "Liveness, readiness and Prometheus metrics; no token needed."},
    {
        "name": PEER_TAG,
        "description": "For the other Handover services only (signed events, bulk facts): each is marked "
        "`x-internal: true` so SDK generators can leave it out.",
    },
]

_HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {
        "description": "The request's id: the one sent, or one made up. Every log line of the request, the calls "
        "it makes to peers and the webhooks it causes carry it.",
        "schema": {"type": "string", "pattern": r"^[A-Za-z0-9._:\-]{1,128}$"},
    },
    "Location": {
        "description": "Where the created resource is read.",
        "schema": {"type": "string", "format": "uri-reference"},
    },
    "ETag": {
        "description": 'The entity tag of the resource as answered (its version, e.g. `"3"`): send it back as '
        "`If-Match` to change the resource only if nobody changed it since.",
        "schema": {"type": "string"},
    },
}
# Any value is taken: one that is not letters, digits and ``._:-`` (at most 128) is replaced, not refused.
_REQUEST_ID_PARAMETER: dict[str, Any] = {
    "name": "X-Request-ID",
    "in": "header",
    "required": False,
    "description": "An id for this request: letters, digits and `._:-`, at most 128. Absent or otherwise, the "
    "service makes one up; either way the answer's `X-Request-ID` names it.",
    "schema": {"type": "string"},
}
_UNGUARDED = ("/livez", "/readyz", "/metrics")
# Peers' events are signed with the events secret, not sent with a token.
_SIGNED = "/v1/inbox"
_SKIP_UUID = {"request_id", "webhook_id", "event_id", "entity_id"}
_ID_NAME = re.compile(r"^(id|.+_ids?)$")
UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


def header_ref(name: str) -> dict[str, Any]:
    """A reference to one of the documented headers (``X-Request-ID``, ``Location``, ``ETag``)."""
    return {"$ref": f"#/components/headers/{name}"}


def etag_answer(description: str) -> dict[str, Any]:
    """A success ``responses`` entry whose answer carries the resource's ``ETag``."""
    return {"description": description, "headers": {"ETag": header_ref("ETag")}}


def request_body(model: type[BaseModel]) -> dict[str, Any]:
    """A ``requestBody`` naming ``model``'s schema, for an operation that reads its body itself; list the model
    in the service's ``extra_schemas`` so the document defines it."""
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def camel_operation_id(route: APIRoute) -> str:
    """The operationId of a route that names none: its function's name in camelCase (``get_project`` →
    ``getProject``), stable when the path moves, unlike FastAPI's default."""
    head, *rest = route.name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def document(app: FastAPI, *, default_port: int, extra_schemas: Sequence[type[BaseModel]] = ()) -> dict[str, Any]:
    """The service's OpenAPI document (built once and cached on the app); ``extra_schemas`` are models that
    operations name in ``openapi_extra`` rather than in their signatures."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version="3.1.0",
        description=(app.description or "") + CONVENTIONS,
        routes=app.routes,
        webhooks=app.webhooks.routes,
        tags=app.openapi_tags,
        servers=[
            {"url": "/", "description": "This service, where the document was read."},
            {"url": f"http://127.0.0.1:{default_port}", "description": "A local `make run`."},
        ],
    )
    _components(schema, extra_schemas)
    schema["security"] = [{"bearerAuth": []}]
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            if isinstance(operation, dict) and "responses" in operation:
                _operation(path, operation)
    for operations in schema.get("webhooks", {}).values():
        for operation in operations.values():
            # What the receiver answers: FastAPI's request validation is ours, not theirs.
            operation["responses"].pop("422", None)
            operation["security"] = []
    _uuid_formats(schema)
    used = set(re.findall(r'"#/components/headers/([^"]+)"', json.dumps(schema)))
    schema["components"]["headers"] = {name: h for name, h in _HEADERS.items() if name in used}
    schema["x-problem-types"] = [
        {"type": p.uri, "status": p.status, "meaning": p.meaning} for p in sorted(CATALOGUE, key=lambda p: p.uri)
    ]
    app.openapi_schema = schema
    return schema


def _components(schema: dict[str, Any], extra_schemas: Sequence[type[BaseModel]]) -> None:
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for model in extra_schemas:
        extra = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in extra.pop("$defs", {}).items():
            schemas.setdefault(name, definition)
        schemas[model.__name__] = extra
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in problem_schema.pop("$defs", {}).items():
        schemas[name] = definition
    problem_schema["properties"]["type"]["description"] += " One of:\n\n" + "\n".join(
        f"- `{p.uri}` ({p.status}): {p.meaning}" for p in CATALOGUE
    )
    schemas["Problem"] = problem_schema
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    components["securitySchemes"] = {
        "bearerAuth": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "HS256 (or RS256) JWT with `sub`, `role`, `exp`, and `district` or `bank` by role.",
        }
    }
    components["headers"] = _HEADERS


def _problem(description: str) -> dict[str, Any]:
    problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
    return {"description": description, "content": {PROBLEM_MEDIA_TYPE: problem}}


def _operation(path: str, operation: dict[str, Any]) -> None:
    responses = operation["responses"]
    parameters = operation.setdefault("parameters", [])
    has_query = any(p.get("in") == "query" for p in parameters)
    if "422" in responses or parameters or "requestBody" in operation:
        rule = f" {QUERY_RULE}" if has_query else ""
        responses["422"] = _problem("Request failed validation." + rule)
    if "requestBody" in operation:
        responses.setdefault("400", _problem("Malformed JSON"))
        responses.setdefault("413", _problem("Body too large"))
    if path in _UNGUARDED or path == _SIGNED:
        operation["security"] = []
    else:
        operation["security"] = [{"bearerAuth": []}]
        responses.setdefault("401", _problem("Missing, invalid or expired token"))
        responses.setdefault("403", _problem("Your role may not do this"))
    if path not in _UNGUARDED:
        responses.setdefault("500", _problem("Unexpected error"))
    parameters.append(dict(_REQUEST_ID_PARAMETER))
    for status, response in responses.items():
        headers = response.setdefault("headers", {})
        headers["X-Request-ID"] = header_ref("X-Request-ID")
        if status == "201":
            headers.setdefault("Location", header_ref("Location"))


def _uuid_formats(schema: dict[str, Any]) -> None:
    """Ids are UUID strings: say so (``format: uuid``) on every id the services answer with, on ids in paths
    (an id that is not one is simply not found) and on ids the services check as UUIDs. An id a request may
    carry unchecked (a filter, a bulk query's list) keeps its plain string: a document must not promise a 422
    the service does not give."""
    for definition in schema["components"]["schemas"].values():
        for name, prop in definition.get("properties", {}).items():
            if _ID_NAME.match(name) and name not in _SKIP_UUID:
                _mark_uuid(prop, checked_only=True)
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and _ID_NAME.match(parameter["name"]):
                    _mark_uuid(parameter["schema"], checked_only=False)


def _mark_uuid(node: dict[str, Any], *, checked_only: bool) -> None:
    unchecked = any(key in node for key in ("minLength", "maxLength", "pattern"))
    if node.get("type") == "string" and (not checked_only or not unchecked or node.get("pattern") == UUID_PATTERN):
        node["format"] = "uuid"
    for option in node.get("anyOf", []):
        _mark_uuid(option, checked_only=checked_only)
    if isinstance(node.get("items"), dict):
        _mark_uuid(node["items"], checked_only=checked_only)

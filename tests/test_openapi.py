"""The committed OpenAPI documents match the apps; every operation documents its errors as problem+json."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.utils import generate_unique_id
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from services.catalog import SERVICES
from services.common.apidoc import QUERY_RULE, UUID_PATTERN
from services.common.media import XLSX
from services.common.problem_types import CATALOGUE
from services.openapi import OPENAPI_DIR, document, render

BASE = "urn:handover:openapi"
ID_NAME = re.compile(r"id|.+_ids?")
VERB_NOUN = re.compile(
    r"(get|list|count|create|update|delete|replace|publish|record|run|set|lift|score|query|receive|transition|reverse|rotate|recover)"
    r"(?:[A-Z][a-z0-9]*)+"
)
# Each header in the form its specification registers it; names are case-insensitive, the document uses one form.
REGISTERED_HEADERS = {
    "If-Match",
    "Idempotency-Key",
    "X-Request-ID",
    "Webhook-Id",
    "Webhook-Timestamp",
    "Webhook-Signature",
}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_committed_document_matches_the_app(name: str) -> None:
    committed = (OPENAPI_DIR / f"{name}.json").read_text(encoding="utf-8")
    assert committed == render(document(name)), f"openapi/{name}.json is stale: run `make openapi`"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_error_answer_is_problem_json(name: str) -> None:
    spec = json.loads((OPENAPI_DIR / f"{name}.json").read_text(encoding="utf-8"))
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")) and path not in ("/readyz",):
                    assert "application/problem+json" in response.get("content", {}), (method, path, status)
            if operation.get("security"):
                assert "401" in operation["responses"], (method, path)


def _documents() -> dict[str, dict[str, Any]]:
    return {name: json.loads((OPENAPI_DIR / f"{name}.json").read_text(encoding="utf-8")) for name in SERVICES}


DOCUMENTS = _documents()


def _operations(spec: dict[str, Any], *, webhooks: bool = True) -> Iterator[tuple[str, str, dict[str, Any]]]:
    sections = ("paths", "webhooks") if webhooks else ("paths",)
    for section in sections:
        for path, item in spec.get(section, {}).items():
            for method, operation in item.items():
                yield path, method, operation


def _walk(node: Any, where: str = "#") -> Iterator[tuple[str, Any]]:
    yield where, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{where}/{key.replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{where}/{index}")


def _resolve(spec: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = spec
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_reference_resolves(name: str) -> None:
    spec = DOCUMENTS[name]
    refs = [(where, node["$ref"]) for where, node in _walk(spec) if isinstance(node, dict) and "$ref" in node]
    assert refs
    for where, ref in refs:
        try:
            _resolve(spec, ref)
        except KeyError:
            pytest.fail(f"{where} points to {ref}, which openapi/{name}.json does not define")


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_operation_ids_are_verb_noun_and_never_the_framework_default(name: str) -> None:
    app = SERVICES[name].app(SERVICES[name].settings(database_url="sqlite+aiosqlite:///:memory:"))
    defaults = {
        generate_unique_id(context.route)
        for context in iter_route_contexts([*app.router.routes, *app.webhooks.routes])
        if isinstance(context.route, APIRoute)
    }
    ids = [operation.get("operationId") for _path, _method, operation in _operations(DOCUMENTS[name])]
    assert len(ids) == len(set(ids)), "operationIds repeat"
    for operation_id in ids:
        assert operation_id and operation_id not in defaults, operation_id
        assert VERB_NOUN.fullmatch(operation_id), f"{operation_id} is not a verb-noun camelCase id"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_operation_is_described_and_tagged_with_a_declared_tag(name: str) -> None:
    spec = DOCUMENTS[name]
    declared = {tag["name"]: tag.get("description") for tag in spec["tags"]}
    assert all(declared.values()), "a tag has no description"
    for path, method, operation in _operations(spec):
        assert operation.get("summary") and operation.get("description"), (method, path)
        assert operation.get("tags") and set(operation["tags"]) <= set(declared), (method, path, operation["tags"])
    assert spec["servers"] and all(server.get("description") for server in spec["servers"])


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_who_needs_a_token_and_what_is_for_peers_only(name: str) -> None:
    spec = DOCUMENTS[name]
    assert spec["security"] == [{"bearerAuth": []}]
    for path, method, operation in _operations(spec):
        open_to_all = path in ("/livez", "/readyz", "/metrics", "/v1/inbox") or path in spec.get("webhooks", {})
        assert operation["security"] == ([] if open_to_all else [{"bearerAuth": []}]), (method, path)
        peer_only = path in ("/v1/inbox", "/v1/risk-facts/query", "/v1/funding-positions/query")
        assert operation.get("x-internal", False) is peer_only, (method, path)
        assert ("peers" in operation["tags"]) is peer_only, (method, path)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_headers_are_documented_in_one_casing(name: str) -> None:
    spec = DOCUMENTS[name]
    for path, method, operation in _operations(spec, webhooks=False):
        for status, response in operation["responses"].items():
            headers = response.get("headers", {})
            assert "X-Request-ID" in headers, (method, path, status)
            if status == "201":
                assert "Location" in headers, (method, path)
        names = [p.get("name") or _resolve(spec, p["$ref"])["name"] for p in operation.get("parameters", [])]
        assert "X-Request-ID" in names, (method, path)
    for path, method, operation in _operations(spec):
        for parameter in operation.get("parameters", []):
            parameter = _resolve(spec, parameter["$ref"]) if "$ref" in parameter else parameter
            if parameter["in"] == "header":
                assert parameter["name"] != "accept", (method, path)
                assert parameter["name"] in REGISTERED_HEADERS, (method, path, parameter["name"])
                assert parameter.get("description"), (method, path, parameter["name"])


def test_reports_keep_their_json_type_and_name_csv() -> None:
    for name, path, alternatives in (
        ("registry", "/v1/reports/weekly", ["text/csv", XLSX]),
        ("registry", "/v1/reports/monthly", ["text/csv", XLSX, "text/html", "application/pdf"]),
        ("financing", "/v1/reports/financing", ["text/csv", XLSX]),
    ):
        answer = DOCUMENTS[name]["paths"][path]["get"]["responses"]["200"]
        assert list(answer["content"]) == ["application/json"], path
        assert answer["x-alternative-media-types"] == alternatives, path


def test_project_answers_carry_their_etag() -> None:
    paths = DOCUMENTS["registry"]["paths"]
    assert "ETag" in paths["/v1/projects"]["post"]["responses"]["201"]["headers"]
    for method in ("get", "patch"):
        assert "ETag" in paths["/v1/projects/{project_id}"][method]["responses"]["200"]["headers"]
    if_match = next(p for p in paths["/v1/projects/{project_id}"]["patch"]["parameters"] if p.get("name") == "If-Match")
    assert "list" in if_match["description"]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_ids_are_uuids(name: str) -> None:
    """Every id answered, every id in a path, and every id checked as a UUID says ``format: uuid``."""
    spec = DOCUMENTS[name]
    marked = 0
    for schema_name, definition in spec["components"]["schemas"].items():
        for prop, node in definition.get("properties", {}).items():
            if not ID_NAME.fullmatch(prop) or prop in ("request_id", "webhook_id", "event_id", "entity_id"):
                continue
            if schema_name.endswith("FeedEvent"):
                assert node["pattern"].startswith("^msg_"), (schema_name, prop)
                continue
            for _where, string in _walk(node):
                if not isinstance(string, dict) or string.get("type") != "string":
                    continue
                answered = not {"minLength", "maxLength", "pattern"} & set(string)
                if answered or string.get("pattern") == UUID_PATTERN:
                    assert string.get("format") == "uuid", (schema_name, prop)
                    marked += 1
    for path, method, operation in _operations(spec, webhooks=False):
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "path" and ID_NAME.fullmatch(parameter["name"]):
                assert parameter["schema"]["format"] == "uuid", (method, path, parameter["name"])
                marked += 1
    assert marked > 5


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_enum_names_each_value_in_its_description(name: str) -> None:
    for schema_name, definition in DOCUMENTS[name]["components"]["schemas"].items():
        if "enum" in definition:
            description = definition.get("description", "")
            for value in definition["enum"]:
                assert f"`{value}`" in description, (schema_name, value)


def test_the_tier_enum_has_one_name() -> None:
    for name, spec in DOCUMENTS.items():
        schemas = spec["components"]["schemas"]
        assert "Tier" not in schemas, name
    assert {"RiskTier"} <= set(DOCUMENTS["risk"]["components"]["schemas"])


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_example_validates_against_its_schema(name: str) -> None:
    spec = DOCUMENTS[name]
    registry = Registry().with_resource(BASE, Resource.from_contents(spec, DRAFT202012))
    checked = 0
    for where, node in _walk(spec):
        if not isinstance(node, dict):
            continue
        cases: list[tuple[str, Any]] = []
        if isinstance(node.get("examples"), list):  # a schema's own examples
            cases += [(where, example) for example in node["examples"]]
        if "schema" in node and "example" in node:  # a media type's or parameter's example
            cases.append((f"{where}/schema", node["example"]))
        if "schema" in node and isinstance(node.get("examples"), dict):
            cases += [(f"{where}/schema", example["value"]) for example in node["examples"].values()]
        for pointer, example in cases:
            validator = Draft202012Validator({"$ref": BASE + pointer}, registry=registry)
            errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(example)]
            assert not errors, (pointer, errors)
            checked += 1
    assert checked, f"openapi/{name}.json has no examples"


def test_every_request_body_has_an_example() -> None:
    for name, spec in DOCUMENTS.items():
        for path, method, operation in _operations(spec, webhooks=False):
            if operation.get("x-internal") or "requestBody" not in operation:
                continue
            content = operation["requestBody"]["content"]
            # A spreadsheet import takes the file itself: its CSV form carries the example.
            media = content.get("application/json") or content["text/csv"]
            schema = _resolve(spec, media["schema"]["$ref"]) if "$ref" in media["schema"] else media["schema"]
            assert schema.get("examples") or media.get("examples"), (name, method, path)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_the_conventions_and_the_problem_catalogue_are_published(name: str) -> None:
    spec = DOCUMENTS[name]
    assert QUERY_RULE in spec["info"]["description"]
    assert [p["type"] for p in spec["x-problem-types"]] == sorted(p.uri for p in CATALOGUE)
    type_description = spec["components"]["schemas"]["Problem"]["properties"]["type"]["description"]
    for problem in CATALOGUE:
        assert f"`{problem.uri}` ({problem.status})" in type_description
    for path, method, operation in _operations(spec, webhooks=False):
        if any(p.get("in") == "query" for p in operation.get("parameters", [])):
            assert QUERY_RULE in operation["responses"]["422"]["description"], (method, path)

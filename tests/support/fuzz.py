"""Shared set-up for schemathesis runs against a real service process."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.parameters import ParameterLocation

from tests.support.apps import auth

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

FUZZ_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


def call_and_validate(case: schemathesis.Case, base_url: str, checks: list[Any] = CHECKS) -> None:
    """Send ``case`` as a city admin and run ``checks`` on the answer.

    A negative case may leave out ``Authorization`` on purpose (the schema requires it); adding the token back
    would turn that case into a valid request and fail ``negative_data_rejection``. Which cases hypothesis draws
    depends on what else was collected, so this must not be left to chance.
    """
    generated = {name.lower() for name in case.headers or {}}
    omitted = case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER)
    headers = {} if omitted and "authorization" not in generated else auth("city_admin")
    case.call_and_validate(base_url=base_url, headers=headers, checks=checks)

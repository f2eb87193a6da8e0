"""schemathesis against a real registry process: no server error, no response that breaks the schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis

from services.openapi import document
from tests.support import processes
from tests.support.fuzz import CHECKS, FUZZ_SETTINGS, call_and_validate

pytestmark = [pytest.mark.processes, pytest.mark.fuzz]

schema = schemathesis.openapi.from_dict(document("registry"))


@pytest.fixture(scope="module")
def registry_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[processes.Process]:
    process = processes.quiet_service("registry", tmp_path_factory.mktemp("registry-fuzz"))
    yield process
    process.stop()


@schema.parametrize()
@FUZZ_SETTINGS
def test_registry_api_conforms(case: schemathesis.Case, registry_server: processes.Process) -> None:
    call_and_validate(case, registry_server.url, CHECKS)

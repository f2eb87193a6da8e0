"""schemathesis against a real financing process (asking a real registry): no server error, no response that
breaks the schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis

from services.openapi import document
from tests.support import processes
from tests.support.fuzz import CHECKS, FUZZ_SETTINGS, call_and_validate

pytestmark = [pytest.mark.processes, pytest.mark.fuzz]

schema = schemathesis.openapi.from_dict(document("financing"))


@pytest.fixture(scope="module")
def financing_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[processes.Process]:
    workdir = tmp_path_factory.mktemp("financing-fuzz")
    registry = processes.quiet_service("registry", workdir)
    financing = processes.quiet_service("financing", workdir, HANDOVER_REGISTRY_URL=registry.url)
    yield financing
    financing.stop()
    registry.stop()


@schema.parametrize()
@FUZZ_SETTINGS
def test_financing_api_conforms(case: schemathesis.Case, financing_server: processes.Process) -> None:
    call_and_validate(case, financing_server.url, CHECKS)

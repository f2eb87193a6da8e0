"""schemathesis against a real registry process: no server error, no response that breaks the schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import strategies as st

from services.common.media import XLSX
from services.openapi import document
from services.registry.imports import templates
from tests.support import processes
from tests.support.fuzz import CHECKS, FUZZ_SETTINGS, call_and_validate

pytestmark = [pytest.mark.processes, pytest.mark.fuzz]

# The import endpoints take xlsx bodies, which schemathesis cannot write from a schema: give it real workbooks
# (the two templates), a zip that breaks off, and arbitrary bytes, so the spreadsheet door is fuzzed too.
schemathesis.openapi.media_type(
    XLSX,
    st.sampled_from([templates.projects([]), templates.reports("2026-W01"), templates.reports("2026-W01")[:300]])
    | st.binary(max_size=256),
)

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

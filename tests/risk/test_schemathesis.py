"""schemathesis against a real risk process: no server error, no response that breaks the schema.

Risk talks to a real registry process (empty, so assessments find nothing) and to a closed financing port.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from schemathesis.checks import negative_data_rejection

from services.openapi import document
from tests.support import processes
from tests.support.fuzz import CHECKS, FUZZ_SETTINGS, call_and_validate

pytestmark = [pytest.mark.processes, pytest.mark.fuzz]

schema = schemathesis.openapi.from_dict(document("risk"))

# A batch item that breaks the item schema gets its own error inside a 200 answer, by design: the rest of the
# batch is still scored. The whole-request shape (an object with at most 10,000 items) is still checked.
BATCH_CHECKS = [check for check in CHECKS if check is not negative_data_rejection]


@pytest.fixture(scope="module")
def risk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[processes.Process]:
    workdir = tmp_path_factory.mktemp("risk-fuzz")
    registry = processes.quiet_service("registry", workdir)
    process = processes.quiet_service(
        "risk",
        workdir,
        RISK_RUN_WORKERS="false",
        HANDOVER_REGISTRY_URL=registry.url,
        HANDOVER_FINANCING_URL=f"http://127.0.0.1:{processes.free_port()}",
    )
    yield process
    process.stop()
    registry.stop()


@schema.parametrize()
@FUZZ_SETTINGS
def test_risk_api_conforms(case: schemathesis.Case, risk_server: processes.Process) -> None:
    checks = BATCH_CHECKS if case.operation.path == "/v1/score/batch" else CHECKS
    call_and_validate(case, risk_server.url, checks)

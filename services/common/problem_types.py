"""Every problem type the services answer with, named once: its URN, status and what it means.

Front ends switch on a problem's ``type``; this catalogue is what they switch on. It is published in each
OpenAPI document (``x-problem-types`` and the ``Problem`` schema) and in the README, and a test fails when code
raises a slug the catalogue does not name.
"""

from __future__ import annotations

from dataclasses import dataclass

TYPE_PREFIX = "urn:handover:problem:"


@dataclass(frozen=True)
class ProblemType:
    """One kind of problem: ``slug`` makes its URN; ``status`` is the HTTP status it is answered with."""

    slug: str
    status: int
    meaning: str

    @property
    def uri(self) -> str:
        return TYPE_PREFIX + self.slug


CATALOGUE: tuple[ProblemType, ...] = (
    ProblemType("malformed-json", 400, "The request body is not valid JSON."),
    ProblemType("invalid-cursor", 400, "The `cursor` was not made by this list: start again without one."),
    ProblemType("bad-request", 400, "The request is malformed in another way."),
    ProblemType("unauthorized", 401, "No bearer token, or one that is malformed, expired or wrongly signed."),
    ProblemType("bad-signature", 401, "An event's Standard Webhooks signature does not verify (peer inboxes)."),
    ProblemType("forbidden", 403, "The token's role may not do this at all (out of scope is 404, not 403)."),
    ProblemType("not-found", 404, "No such resource, or none the caller may see: ids never leak."),
    ProblemType("method-not-allowed", 405, "The path takes other methods; `Allow` names them."),
    ProblemType("conflict", 409, "The request conflicts with the resource's current state."),
    ProblemType("illegal-transition", 409, "A state machine refused the move: see the resource's lifecycle."),
    ProblemType("duplicate-code", 409, "A project or bank with this code exists already."),
    ProblemType("duplicate-credit-code", 409, "A developer with this unified social credit code exists already."),
    ProblemType("duplicate-report", 409, "The project's weekly report for that ISO week exists already."),
    ProblemType("project-not-reportable", 409, "A completed, delivered, closed or terminated project takes no report."),
    ProblemType("outcome-recorded", 409, "The project's outcome is recorded already; a city admin may replace it."),
    ProblemType("outcome-status-mismatch", 409, "The outcome does not fit the project's status."),
    ProblemType("duplicate-entry", 409, "The project is on the whitelist already, or nominated."),
    ProblemType("project-not-eligible", 409, "A terminated or closed project cannot be nominated."),
    ProblemType("already-pushed", 409, "The entry was pushed to that bank already."),
    ProblemType("decision-exists", 409, "This bank answered the entry already."),
    ProblemType("over-disbursement", 409, "The disbursement would take the credit line past its approved amount."),
    ProblemType("project-credit-ceiling", 409, "Approving this credit would pass the most one project may have."),
    ProblemType("duplicate-program", 409, "A policy fund program with this name exists for that year already."),
    ProblemType("over-allocation", 409, "The allocation would take the program past the amount granted to it."),
    ProblemType("already-reversed", 409, "The disbursement or fund payment was reversed already."),
    ProblemType("too-many-secrets", 409, "Five secrets sign the endpoint already: rotate after the oldest expires."),
    ProblemType("endpoint-limit", 409, "The bank has the most webhook endpoints it may have: remove or change one."),
    ProblemType("disabled", 409, "The webhook endpoint is disabled: enable it before recovering."),
    ProblemType("stop-work-order", 409, "The project is under a stop-work order: its site may not report working."),
    ProblemType(
        "acceptance-findings-open", 409, "Unit-acceptance findings are not closed: the project is not delivered."
    ),
    ProblemType("precondition-failed", 412, "`If-Match` names none of the resource's current entity tags."),
    ProblemType("body-too-large", 413, "The request body is larger than the service takes."),
    ProblemType("too-many-rows", 413, "The spreadsheet has more rows than one import takes: split it."),
    ProblemType("unsupported-spreadsheet", 415, "An import takes `text/csv` (UTF-8) or xlsx, with that Content-Type."),
    ProblemType("validation-error", 422, "The request failed validation; `errors[]` points at each field."),
    ProblemType("future-period", 422, "A week, month or date lies in the future."),
    ProblemType("unknown-project", 422, "No registry project has this id (or none the caller may name)."),
    ProblemType("unknown-bank", 422, "No bank is registered with this code."),
    ProblemType("not-pushed", 422, "The entry was not pushed to this bank."),
    ProblemType("refused-url", 422, "The webhook URL is malformed or resolves to an address that may not receive."),
    ProblemType("idempotency-key-reused", 422, "The `Idempotency-Key` was used for another request."),
    ProblemType("unreadable-spreadsheet", 422, "The file is not a readable CSV (UTF-8) or xlsx workbook."),
    ProblemType("bad-header", 422, "The sheet's header row is unknown, merged, repeated or lacks a required column."),
    ProblemType("import-rejected", 422, "Rows of the import break rules; `errors` lists them and nothing was written."),
    ProblemType("bad-event", 422, "An event verified but is not shaped as its type requires (peer inboxes)."),
    ProblemType("internal-error", 500, "The server met an unexpected condition; `X-Request-ID` finds it in the logs."),
    ProblemType("registry-error", 502, "The registry answered financing outside its contract."),
    ProblemType("peer-contract", 502, "A peer service answered outside its contract."),
    ProblemType("registry-unavailable", 503, "Financing cannot reach the registry now: retry later."),
    ProblemType("peer-unavailable", 503, "A peer service cannot be reached now: retry later."),
    ProblemType("fonts-missing", 503, "The PDF needs fonts this machine lacks (`fonts-noto-cjk`); HTML still works."),
    ProblemType("model-not-loaded", 503, "The risk model is not loaded (yet): retry later."),
    ProblemType("service-unavailable", 503, "The service cannot answer now: retry later."),
)

BY_SLUG: dict[str, ProblemType] = {problem.slug: problem for problem in CATALOGUE}

# The type a problem gets when the code raising it names none: the generic one of its status.
_DEFAULT_BY_STATUS: dict[int, str] = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "precondition-failed",
    413: "body-too-large",
    422: "validation-error",
    500: "internal-error",
    502: "peer-contract",
    503: "service-unavailable",
}


def default_slug(status: int) -> str:
    """The generic problem type of ``status`` (``bad-request`` for an unlisted 4xx, ``internal-error`` else)."""
    return _DEFAULT_BY_STATUS.get(status) or ("bad-request" if 400 <= status < 500 else "internal-error")

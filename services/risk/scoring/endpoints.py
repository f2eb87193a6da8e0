"""``/v1/score``, ``/v1/score/batch`` and ``/v1/model``: any authenticated caller may score and read the model."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request, Response

from services.common.apidoc import request_body
from services.common.auth import Principal, authenticate
from services.common.health import CheckResult, HealthStatus
from services.common.problems import ProblemError, problem_responses
from services.risk.model.tiers import DEFAULT_THRESHOLDS, THRESHOLDS_RATIONALE
from services.risk.scoring.engine import ScoringEngine, ServedModel, collection_paused
from services.risk.scoring.schemas import BatchScoreRead, BatchScoreRequest, ModelRead, ScoreRead, ScoreRequest

router = APIRouter(prefix="/v1", tags=["scoring"])

Caller = Annotated[Principal, Depends(authenticate)]


async def model_check(request: Request) -> CheckResult:
    """Readiness: the model is loaded and passed its smoke test."""
    served: ServedModel = request.app.state.served_model
    if served.engine is None:
        return CheckResult(HealthStatus.fail, served.error)
    return CheckResult(
        HealthStatus.passing, f"{served.engine.model_version}, thresholds {served.engine.policy.version}"
    )


async def served_engine(request: Request) -> ScoringEngine:
    """FastAPI dependency: the loaded engine. Raises ProblemError(503) until the model is loaded.

    Async though it never awaits: FastAPI runs a plain function in its thread pool, and the hop there and back
    cost a 1,000-item batch about a tenth of its server time."""
    engine: ScoringEngine | None = request.app.state.served_model.engine
    if engine is None:
        raise ProblemError(
            503, "The risk model is not loaded; see /readyz.", slug="model-not-loaded", headers={"Retry-After": "5"}
        )
    return engine


Engine = Annotated[ScoringEngine, Depends(served_engine)]

# The body is parsed item by item (a bad item gets its own error), so FastAPI does not read it: name its schema.
_BATCH_BODY = request_body(BatchScoreRequest)


def _json(data: Any) -> Response:
    return Response(orjson.dumps(data), media_type="application/json")


@router.post(
    "/score",
    operation_id="scoreProject",
    response_model=ScoreRead,
    summary="Score one project: probability, points, tier, contributions and reasons",
    description="Any authenticated role may score. Money is a decimal string; the funding features are null "
    "when the funding is unknown (they then get neutral points and `funding_unknown` is true).",
    responses=problem_responses(401, 503),
)
async def score(data: ScoreRequest, principal: Caller, engine: Engine) -> Response:
    return _json(engine.score_many([data.features.values()])[0])


@router.post(
    "/score/batch",
    operation_id="scoreProjectBatch",
    response_model=BatchScoreRead,
    summary="Score up to 10,000 projects in one call; a bad item gets its own error",
    description="Any authenticated role may score. `results` has one entry per item, in order: the result, or "
    '`{"error": <problem>}` for an item that failed validation, with pointers relative to the item (for '
    'example `#/features/stall_days`). More than 10,000 items, or a body that is not `{"items": [...]}`, '
    "answers 422 for the whole request.",
    responses=problem_responses(401, 503),
    openapi_extra={"requestBody": _BATCH_BODY},
)
async def score_batch(request: Request, principal: Caller, engine: Engine) -> Response:
    body = await request.body()
    with collection_paused():
        return Response(engine.batch.score(body), media_type="application/json")


@router.get(
    "/model",
    operation_id="getModel",
    description=(
        "From the model card: what the model predicts, its intended use and limits, how it was trained "
        "and on what data, its held-out metrics, the feature schema, the scorecard's points, the reason "
        "codes, and the thresholds and rules in force. Any authenticated role."
    ),
    response_model=ModelRead,
    summary="The model served: version, artifact hash, training data, metrics, features, thresholds and rules",
    responses=problem_responses(401, 503),
)
async def read_model(request: Request, principal: Caller, engine: Engine) -> ModelRead:
    card = engine.model.card
    thresholds = engine.thresholds
    default = thresholds.version == DEFAULT_THRESHOLDS.version
    return ModelRead(
        name=engine.model.name,
        version=engine.model_version,
        artifact=card["artifact"],
        target=card.get("target", ""),
        intended_use=card.get("intended_use", []),
        out_of_scope=card.get("out_of_scope", []),
        limitations=card.get("limitations", []),
        method=card.get("method", ""),
        training_data=card.get("training_data", {}),
        metrics=card.get("metrics", {}),
        score_scale=card.get("score_scale", {}),
        features=card.get("features", []),
        unknown_funding=card.get("unknown_funding", ""),
        scorecard=card.get("scorecard", {}),
        reason_codes=card.get("reason_codes", []),
        thresholds={
            "version": thresholds.version,
            "red": thresholds.red,
            "orange": thresholds.orange,
            "yellow": thresholds.yellow,
            "rationale": THRESHOLDS_RATIONALE
            if default
            else f"Thresholds {thresholds.version} are set by the deployment (RISK_THRESHOLDS, RISK_POLICY_RULES).",
        },
        policy_rules=list(thresholds.rules),
        fall_after=request.app.state.settings.fall_after,
    )

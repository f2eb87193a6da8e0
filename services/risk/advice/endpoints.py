"""``POST /v1/allocation-advice``: how a budget should be split among projects so that the most homes get delivered."""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.common.deps import CityAdmin
from services.common.peers import PeerContractError, PeerUnavailable
from services.common.problems import ProblemError, problem_responses, unprocessable
from services.risk.advice.schemas import AdviceCreate, AdviceRead
from services.risk.advice.service import AdviceTooLarge, Advisor
from services.risk.assessments.service import ModelNotLoaded

router = APIRouter(prefix="/v1", tags=["allocation advice"])


@router.post(
    "/allocation-advice",
    operation_id="createAllocationAdvice",
    response_model=AdviceRead,
    summary="Advise how to split a budget among projects so that the fewest sold homes go undelivered",
    description="City admins. Reads the candidates' facts from registry and their funding positions from "
    "financing (one bulk call each), asks the served model how each project's probability of failing falls as "
    "its gap closes, and answers the exact optimum (a multiple-choice knapsack over budget steps) for the "
    "`objective`, every line explained, with the simple baselines on the same budget for comparison. Amounts are "
    "multiples of `step` and never pass a project's gap. A ranking under the model, not a credit decision; it "
    "changes nothing (turn an accepted plan into allocations with financing's `createFundAllocationPlan`).",
    responses=problem_responses(401, 403, 422, 502, 503),
)
async def create_allocation_advice(data: AdviceCreate, request: Request, principal: CityAdmin) -> AdviceRead:
    advisor: Advisor = request.app.state.advisor
    try:
        return await advisor.advise(data)
    except AdviceTooLarge as exc:
        raise unprocessable(exc.detail, exc.pointer) from exc
    except ModelNotLoaded as exc:
        raise ProblemError(
            503, "The risk model is not loaded; see /readyz.", slug="model-not-loaded", headers={"Retry-After": "5"}
        ) from exc
    except PeerUnavailable as exc:
        raise ProblemError(
            503, f"Cannot advise now: {exc}.", slug="peer-unavailable", headers={"Retry-After": "30"}
        ) from exc
    except PeerContractError as exc:
        raise ProblemError(502, f"Cannot advise: {exc}.", slug="peer-contract") from exc

"""The dispatcher's decision on one attempt, alone: delivered, gone, retried (when) or given up."""

from __future__ import annotations

import pytest

from services.common.dispatcher import RetryPolicy, Verdict, judge
from services.common.outbox import DeliveryStatus

POLICY = RetryPolicy(backoff=[10, 60, 600], give_up_after=86_400)


def _judge(status: int | None, *, attempts: int = 0, age: float = 0, **kw: object) -> Verdict:
    options: dict[str, object] = {"error": None, "retry_after": None, **kw}
    return judge(status, attempts=attempts, age_seconds=age, policy=POLICY, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("status", [200, 202, 204, 299])
def test_any_2xx_delivers(status: int) -> None:
    assert _judge(status, age=10**9) == Verdict(DeliveryStatus.delivered)


def test_410_is_gone_even_when_the_event_is_old() -> None:
    assert _judge(410, age=10**9) == Verdict(DeliveryStatus.gone, error="endpoint answered 410 Gone")


@pytest.mark.parametrize(("attempts", "wait"), [(0, 10), (1, 60), (2, 600), (7, 600)])
def test_a_failure_waits_the_backoff_of_its_attempt_with_the_last_repeating(attempts: int, wait: float) -> None:
    verdict = _judge(503, attempts=attempts, jitter=1.2)
    assert verdict.outcome is DeliveryStatus.pending
    assert verdict.retry_in == pytest.approx(wait * 1.2)


def test_retry_after_wins_over_the_backoff_but_never_past_giving_up() -> None:
    assert _judge(503, retry_after=300.0).retry_in == 300
    assert _judge(429, retry_after=10.0**9).retry_in == POLICY.give_up_after


def test_no_answer_keeps_its_note_and_is_retried() -> None:
    assert _judge(None, error="could not connect") == Verdict(DeliveryStatus.pending, 10, "could not connect")


def test_an_event_past_the_give_up_age_fails_with_its_note() -> None:
    assert _judge(500, age=POLICY.give_up_after) == Verdict(DeliveryStatus.failed, error="gave up")
    assert _judge(None, age=POLICY.give_up_after + 1, error="no answer in time") == Verdict(
        DeliveryStatus.failed, error="no answer in time"
    )
    assert _judge(500, age=POLICY.give_up_after - 1).outcome is DeliveryStatus.pending


def test_a_redirect_is_a_failure_noted_as_not_followed() -> None:
    verdict = _judge(302, error="redirects are not followed")
    assert (verdict.outcome, verdict.error) == (DeliveryStatus.pending, "redirects are not followed")

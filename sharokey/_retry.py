"""The whole retry decision, and the one factory both shells build tenacity from.

Whether to repeat, how long to wait, and which requests may repeat at all
are decided here and nowhere else (docs/protocol.md#5-errors-and-retries):

- :func:`repeatable`: which requests may be repeated when their outcome is
  unknown (GET and DELETE; a POST only with an idempotency key and
  ``retry_ambiguous_posts=True``);
- :func:`should_retry`: whether one failure may be cured by sending again,
  one ``if`` and one debug line per reason (openai-python's
  ``BaseClient._should_retry`` shape);
- :func:`retry_delay`: the server's ``Retry-After`` when usable, else capped
  exponential backoff with jitter;
- :func:`timed_out`: the timeout the caller finally sees, saying how many
  attempts were made and how long they took in all.

The shells make each request's first attempt bare and enter tenacity only
through :func:`retries_after` (most calls never fail, and tenacity's set-up
cost more than the rest of the shell). Transports contribute one fact,
``NetworkError.request_sent``, and decide nothing. :func:`retry_kwargs`
turns a :class:`RetryPolicy` into the arguments of a *fresh*
``tenacity.Retrying``/``AsyncRetrying`` per request
(a shared instance would mix up the attempt counts of concurrent calls). The
predicate accepts only ``SharokeyError``s, so ``CancelledError`` and
``KeyboardInterrupt`` always go straight through.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable
from typing import Any, Callable, Optional

import attrs
import tenacity
from tenacity.wait import wait_base

from sharokey._messages import Request
from sharokey.errors import (
    INVALID_JSON,
    RESPONSE_TOO_LARGE,
    TLS_ERROR,
    ConfigurationError,
    InvalidResponseError,
    NetworkError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    SharokeyError,
)

__all__ = [
    "RetryPolicy",
    "equal_jitter",
    "log_attempt",
    "policy_for",
    "repeatable",
    "replay",
    "retries_after",
    "retry_delay",
    "retry_kwargs",
    "should_retry",
    "timed_out",
]

logger = logging.getLogger("sharokey")


def equal_jitter(delay: float) -> float:
    """Half the delay for sure, the other half at random: spreads clients, never zero."""
    return delay / 2.0 + random.uniform(0.0, delay / 2.0)


def _non_negative(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigurationError(
            f"{attribute.name} must be a non-negative number.",
            details={attribute.name: ["must be a non-negative number"]},
        )


def _retries(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(
            "max_retries must be a non-negative integer.",
            details={"max_retries": ["must be a non-negative integer"]},
        )


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How often and how long to wait between attempts.

    ``jitter`` maps the exponential delay to the one actually slept; ``sleep``
    and ``async_sleep`` do the waiting (tests pass fakes so retries take no
    time). ``async_sleep=None`` means ``asyncio.sleep``, looked up only by the
    async client so the sync one never imports asyncio.
    """

    max_retries: int = attrs.field(default=2, validator=_retries)
    base_delay: float = attrs.field(default=0.5, validator=_non_negative)
    max_delay: float = attrs.field(default=8.0, validator=_non_negative)
    retry_after_cap: float = attrs.field(default=30.0, validator=_non_negative)
    jitter: Callable[[float], float] = equal_jitter
    sleep: Callable[[float], None] = time.sleep
    async_sleep: Optional[Callable[[float], Awaitable[None]]] = None


# --------------------------------------------------------------------------- the decision


def repeatable(method: str, *, idempotent_post: bool = False) -> bool:
    """Whether a request may be sent again when its outcome is unknown.

    GET and DELETE act the same however often they arrive. A POST may only
    when it carries an idempotency key the service honours *and* the caller
    opted in (``idempotent_post``: ``retry_ambiguous_posts=True`` on a create
    or a reveal); any other POST could create twice.
    """
    return method in ("GET", "DELETE") or (method == "POST" and idempotent_post)


def _decide(request: Request, retry: bool, reason: str) -> bool:
    logger.debug(
        "%s %s: %s, %s", request.method, request.label, reason, "retry" if retry else "no retry"
    )
    return retry


def should_retry(exc: BaseException, request: Request, *, retry_after_cap: float) -> bool:
    """Whether ``exc`` from sending ``request`` may be cured by sending it again.

    Anything that is not a :class:`SharokeyError` (``CancelledError``,
    ``KeyboardInterrupt``, a bug) is never retried.
    """
    if not isinstance(exc, SharokeyError):
        return False
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None and retry_after > retry_after_cap:
        # Not worth waiting for: raised at once, with its retry_after for the caller.
        return _decide(request, False, f"Retry-After {retry_after:g} s is over the cap")
    if isinstance(exc, RateLimitError) and exc.code == "TOO_MANY_ATTEMPTS" and retry_after is None:
        return _decide(request, False, "locked for an unknown time")
    if isinstance(exc, RateLimitError):
        return _decide(request, exc.status == 429, f"rate limited (HTTP {exc.status})")
    if isinstance(exc, NetworkError) and exc.code == TLS_ERROR:
        return _decide(request, False, "TLS failure, not transient")
    if isinstance(exc, NetworkError) and not exc.request_sent:
        return _decide(request, True, f"{exc.code} before the request left")
    if isinstance(exc, NetworkError):  # RequestTimeoutError included
        return _decide(request, request.ambiguous_safe, f"{exc.code} after the request left")
    if isinstance(exc, ServerError) and exc.status == 503:
        return _decide(request, True, "service unavailable (HTTP 503)")
    if isinstance(exc, ServerError) and exc.status in (500, 502, 504):
        return _decide(request, request.ambiguous_safe, f"outcome unknown (HTTP {exc.status})")
    if isinstance(exc, InvalidResponseError) and exc.code == RESPONSE_TOO_LARGE:
        return _decide(request, False, "answer over the size cap; the next would be too")
    if isinstance(exc, InvalidResponseError) and exc.code == INVALID_JSON:
        return _decide(request, request.ambiguous_safe, "answer cut short or not JSON")
    return False


def retry_delay(
    attempt: int,
    exc: Optional[BaseException],
    *,
    base_delay: float,
    max_delay: float,
    retry_after_cap: float,
    jitter: Callable[[float], float],
) -> float:
    """Seconds before the next attempt: the server's Retry-After when given, else backoff."""
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(retry_after, (int, float)) and 0 <= retry_after <= retry_after_cap:
        return float(retry_after)
    backoff = min(max_delay, base_delay * (2 ** max(0, attempt - 1)))
    return max(0.0, min(max_delay, jitter(backoff)))


def timed_out(exc: RequestTimeoutError, attempts: int, seconds: float) -> RequestTimeoutError:
    """The timeout a call ends with: the last attempt's message, the attempts and time in all.

    A transport's message gives one attempt's limit; only the shell's retry loop
    knows how many attempts there were and how long the call took.
    """
    tried = f"{attempts} attempt{'s' if attempts != 1 else ''}"
    return type(exc)(
        f"{exc.message} Gave up after {tried}, {seconds:.1f} s in all.",
        code=exc.code,
        status=exc.status,
        details=exc.details,
        request_sent=exc.request_sent,
    )


def log_attempt(request: Request, outcome: object, attempt: int, started: float) -> None:
    """DEBUG line for one attempt: method, masked path, status or error code, timing."""
    if logger.isEnabledFor(logging.DEBUG):
        elapsed = (time.perf_counter() - started) * 1000.0
        logger.debug(
            "%s %s -> %s (attempt %d, %.1f ms)",
            request.method,
            request.label,
            outcome,
            attempt,
            elapsed,
        )


# --------------------------------------------------------------------------- tenacity


class _Wait(wait_base):
    """Retry-After from the failed attempt's error when given, else capped backoff."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None and outcome.failed else None
        return retry_delay(
            retry_state.attempt_number,
            exc,
            base_delay=self._policy.base_delay,
            max_delay=self._policy.max_delay,
            retry_after_cap=self._policy.retry_after_cap,
            jitter=self._policy.jitter,
        )


def _log_retry(request: Request, attempts: int) -> Callable[[tenacity.RetryCallState], None]:
    def before_sleep(retry_state: tenacity.RetryCallState) -> None:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None and outcome.failed else None
        reason = exc.code if isinstance(exc, SharokeyError) else type(exc).__name__
        status = getattr(exc, "status", None)
        delay = retry_state.next_action.sleep if retry_state.next_action else 0.0
        logger.info(
            "%s %s failed (%s%s); retrying in %.2f s (attempt %d of %d)",
            request.method,
            request.label,
            reason,
            f", HTTP {status}" if status is not None else "",
            delay,
            retry_state.attempt_number + 1,
            attempts,
        )

    return before_sleep


def policy_for(max_retries: int, retry_policy: Optional[RetryPolicy]) -> RetryPolicy:
    """The client's policy: the one given (the test seam), else the defaults with max_retries."""
    if retry_policy is not None:
        if not isinstance(retry_policy, RetryPolicy):
            raise ConfigurationError(
                "retry_policy must be a sharokey.RetryPolicy.",
                details={"retry_policy": ["must be a RetryPolicy"]},
            )
        return retry_policy
    return RetryPolicy(max_retries=max_retries)


def retries_after(exc: BaseException, request: Request, policy: RetryPolicy) -> bool:
    """Whether a first attempt's failure enters the retry loop (else it is raised as is).

    The shells make the first attempt without tenacity (its set-up cost 15-60 µs
    a call, more than the rest of the shell); only a failure that
    :func:`should_retry` says may be cured, with retries left, builds the loop,
    which then starts by replaying that failure (see :func:`retry_kwargs`).
    """
    return should_retry(exc, request, retry_after_cap=policy.retry_after_cap) and (
        policy.max_retries > 0
    )


def replay(first: BaseException, attempt_number: int) -> None:
    """Attempt 1 of a retry loop entered after a failure: that failure, not a new send."""
    if attempt_number == 1:
        raise first


def retry_kwargs(
    policy: RetryPolicy,
    request: Request,
    *,
    is_async: bool = False,
    first: Optional[BaseException] = None,
) -> dict[str, Any]:
    """Keyword arguments for a fresh ``tenacity.Retrying``/``AsyncRetrying`` for ``request``.

    With ``first``, the failure of an attempt already made and already judged
    retryable by :func:`retries_after`: the loop's attempt 1 replays it
    (:func:`replay`), so the waits, counts and log lines are those of a loop
    that made it, and it is not judged twice.
    """
    sleep: Any = policy.sleep
    if is_async:
        sleep = policy.async_sleep
        if sleep is None:
            import asyncio  # only the async client gets here

            sleep = asyncio.sleep
    attempts = policy.max_retries + 1
    cap = policy.retry_after_cap
    return {
        "stop": tenacity.stop_after_attempt(attempts),
        "retry": tenacity.retry_if_exception(
            lambda exc: exc is first or should_retry(exc, request, retry_after_cap=cap)
        ),
        "wait": _Wait(policy),
        "reraise": True,
        "before_sleep": _log_retry(request, attempts),
        "sleep": sleep,
    }

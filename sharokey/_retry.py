"""The retry policy and the one factory both shells build tenacity from.

The decision (retry or not) and the delay are pure functions in
``sharokey._core``; this module turns a :class:`RetryPolicy` into the keyword
arguments of a *fresh* ``tenacity.Retrying`` (sync) or ``AsyncRetrying``
(async) per request: a shared instance would mix up attempt counts of
concurrent calls. The predicate only ever accepts ``SharokeyError``s, so
``CancelledError`` and ``KeyboardInterrupt`` always go straight through.
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

from sharokey._core import Request, retry_delay, should_retry
from sharokey.errors import ConfigurationError, SharokeyError

__all__ = ["RetryPolicy", "equal_jitter", "policy_for", "retry_kwargs"]

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


def retry_kwargs(
    policy: RetryPolicy, request: Request, *, is_async: bool = False
) -> dict[str, Any]:
    """Keyword arguments for a fresh ``tenacity.Retrying``/``AsyncRetrying`` for ``request``."""
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
            lambda exc: should_retry(exc, request, retry_after_cap=cap)
        ),
        "wait": _Wait(policy),
        "reraise": True,
        "before_sleep": _log_retry(request, attempts),
        "sleep": sleep,
    }

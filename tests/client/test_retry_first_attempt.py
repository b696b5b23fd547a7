"""The first attempt is made outside the retry loop: what a user sees must not change.

Each failure is judged once (one decision line), the waits and counts after a first failure are
those of the whole loop, and a failure that cannot be cured, or a client with no retries left,
ends the call after one send.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable

import pytest

import sharokey
from sharokey._messages import Request, Response
from sharokey.transports import AsyncMockTransport, MockTransport

pytestmark = pytest.mark.usefixtures("clean_env")

API = "https://api.example.com/api/v1"
SECRET = {"slug": "S", "maximum_views": 1, "current_views": 0}


def details_with(flavour: str, outcomes: list[Response], **options: Any) -> tuple[Any, int]:
    """``get_details`` on the flavour's client answered by ``outcomes`` in turn: (result, sends)."""
    seen: list[Request] = []

    def answer(request: Request) -> Response:
        seen.append(request)
        return outcomes[min(len(seen), len(outcomes)) - 1]

    try:
        if flavour == "sync":
            client = sharokey.Sharokey("t", api_url=API, transport=MockTransport(answer), **options)
            result: Any = client.get_details("S")
        else:

            async def go() -> Any:
                aclient = sharokey.AsyncSharokey(
                    "t", api_url=API, transport=AsyncMockTransport(answer), **options
                )
                return await aclient.get_details("S")

            result = asyncio.run(go())
    except sharokey.SharokeyError as exc:
        result = exc
    return result, len(seen)


def test_each_failure_is_judged_once_and_waited_for_as_before(
    flavour: str,
    policy: Callable[..., Any],
    sleeps: Any,
    ok: Any,
    fail: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, logger="sharokey"):
        result, sends = details_with(
            flavour, [fail(503), fail(503), ok(SECRET)], retry_policy=policy(max_retries=2)
        )
    assert isinstance(result, sharokey.Secret)
    assert sends == 3
    assert sleeps.delays == [0.5, 1.0]
    decisions = [r.getMessage() for r in caplog.records if "service unavailable" in r.getMessage()]
    assert decisions == ["GET /api/v1/secrets/S: service unavailable (HTTP 503), retry"] * 2
    retries = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert [message.rsplit("(", 1)[1] for message in retries] == [
        "attempt 2 of 3)",
        "attempt 3 of 3)",
    ]


def test_a_first_failure_that_cannot_be_cured_ends_the_call(
    flavour: str, policy: Callable[..., Any], sleeps: Any, ok: Any, fail: Any
) -> None:
    result, sends = details_with(
        flavour, [fail(404, "NOT_FOUND", "gone"), ok(SECRET)], retry_policy=policy()
    )
    assert isinstance(result, sharokey.NotFoundError)
    assert (sends, sleeps.delays) == (1, [])


def test_no_retries_left_means_one_send(
    flavour: str, policy: Callable[..., Any], sleeps: Any, ok: Any, fail: Any
) -> None:
    result, sends = details_with(
        flavour, [fail(503), ok(SECRET)], retry_policy=policy(max_retries=0)
    )
    assert isinstance(result, sharokey.ServerError)
    assert (sends, sleeps.delays) == (1, [])


def test_the_last_failure_is_raised_when_retries_run_out(
    flavour: str, policy: Callable[..., Any], sleeps: Any, fail: Any
) -> None:
    result, sends = details_with(
        flavour, [fail(502), fail(503)], retry_policy=policy(max_retries=2)
    )
    assert isinstance(result, sharokey.ServerError)
    assert (result.status, sends, len(sleeps.delays)) == (503, 3, 2)

"""Unprofiled per-call costs of the pieces the profiles point at (µs, for ``PROFILE.md``).

::

    python -m benchmarks._micro

cProfile inflates small Python functions several times over, so each suspect
is timed here on its own, without a profiler: the timer thread each sync
attempt starts, tenacity's one-attempt loop, cattrs structuring, the
envelope decode, a thread-pool hop from the event loop, and three ways of
sending the same GET with requests (``Session.request``, ``Session.send`` of
a request prepared once, the mounted adapter's ``send``) against the light
server, and ``Sharokey.get_details`` with its per-attempt timer thread
stubbed out in this process (the measurement only; nothing is changed on
disk).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import requests
import tenacity

from benchmarks import _floor, _light
from benchmarks._harness import server_process

__all__ = ["main"]


def _us(call: Callable[[], Any], n: int, repeat: int = 5) -> float:
    """Median over ``repeat`` runs of the mean µs per call of ``n`` calls."""
    for _ in range(min(n, 50)):
        call()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(n):
            call()
        runs.append((time.perf_counter() - started) / n * 1e6)
    return statistics.median(runs)


def _timer() -> None:
    timer = threading.Timer(60.0, lambda: None)
    timer.daemon = True
    timer.start()
    timer.cancel()


def _pieces() -> dict[str, float]:
    from sharokey._convert import structure
    from sharokey._decode import decode_envelope
    from sharokey._messages import Request, Response
    from sharokey._retry import RetryPolicy, retry_kwargs
    from sharokey.models import Secret

    details = _light._envelope(_light._secret("http://127.0.0.1:1/api/v1"), "ok")
    data = json.loads(details)["data"]
    response = Response(status=200, headers=[("Content-Type", "application/json")], body=details)
    request = Request(method="GET", url="http://127.0.0.1:1/api/v1/secrets/x", headers={})
    policy = RetryPolicy()

    def one_attempt() -> None:
        for attempt in tenacity.Retrying(**retry_kwargs(policy, request)):
            with attempt:
                pass

    async def one_async_attempt() -> None:
        async for attempt in tenacity.AsyncRetrying(**retry_kwargs(policy, request, is_async=True)):
            with attempt:
                pass

    pool = ThreadPoolExecutor(os.cpu_count() or 2)
    loop = asyncio.new_event_loop()

    async def hops(n: int) -> None:
        running = asyncio.get_running_loop()
        for _ in range(n):
            await running.run_in_executor(pool, int)

    async def awaits(n: int) -> None:
        for _ in range(n):
            await one_async_attempt()

    def per_loop(make: Callable[[int], Any], n: int = 2000) -> float:
        loop.run_until_complete(make(50))
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            loop.run_until_complete(make(n))
            runs.append((time.perf_counter() - started) / n * 1e6)
        return statistics.median(runs)

    figures = {
        "threading.Timer start + cancel (the sync _Watch, per attempt)": _us(_timer, 2000),
        "tenacity.Retrying, one attempt, with retry_kwargs": _us(one_attempt, 5000),
        "tenacity.AsyncRetrying, one attempt, with retry_kwargs": per_loop(awaits),
        "run_in_executor hop of a no-op (loop -> pool -> loop)": per_loop(hops),
        "decode_envelope of the details answer": _us(lambda: decode_envelope(response), 5000),
        "json.loads of the details answer": _us(lambda: json.loads(details), 5000),
        "cattrs structure of Secret (sharokey._convert.structure)": _us(
            lambda: structure(data, Secret), 5000
        ),
    }
    loop.close()
    pool.shutdown()
    return figures


def _requests_paths(api: str, token: str) -> dict[str, float]:
    url = f"{api}/secrets/{_light.SLUG}"
    headers = _floor.get_headers(token)
    session = requests.Session()
    prepared = session.prepare_request(requests.Request("GET", url, headers=headers))
    adapter = session.get_adapter(url)

    def via_request() -> None:
        session.request("GET", url, headers=headers).content  # noqa: B018

    def via_send() -> None:
        session.send(prepared).content  # noqa: B018

    def via_adapter() -> None:
        adapter.send(prepared, timeout=None).content  # noqa: B018

    def prepare_only() -> None:
        session.prepare_request(requests.Request("GET", url, headers=headers))

    def merge_env_only() -> None:
        session.merge_environment_settings(url, {}, None, None, None)

    figures: dict[str, float] = {}
    for _ in range(2):  # interleaved twice; the last pass is kept
        figures = {
            "requests Session.request GET (the floor's call)": _us(via_request, 400),
            "requests Session.send of a prepared GET": _us(via_send, 400),
            "requests HTTPAdapter.send of a prepared GET": _us(via_adapter, 400),
            "requests Session.prepare_request alone": _us(prepare_only, 2000),
            "requests Session.merge_environment_settings alone": _us(merge_env_only, 2000),
        }
    session.close()
    return figures


class _NoWatch:
    """Stands in for the sync transport's per-attempt timer: what removing it is worth."""

    fired = False

    def __init__(self, seconds: float) -> None:
        del seconds

    def attach(self, connection: Any) -> None:
        del connection

    def stop(self) -> None:
        pass


def _sdk_without_watch(api: str, token: str) -> dict[str, float]:
    import sharokey.transports._requests as transport
    from sharokey import Sharokey

    real = transport._Watch
    timings: dict[str, list[float]] = {"with": [], "without": []}
    with Sharokey(token, api_url=api) as client:

        def call() -> None:
            client.get_details(_light.SLUG)

        try:
            for _ in range(5):  # interleaved
                transport._Watch = real  # type: ignore[misc]
                timings["with"].append(_us(call, 300, repeat=1))
                transport._Watch = _NoWatch  # type: ignore[misc,assignment]
                timings["without"].append(_us(call, 300, repeat=1))
        finally:
            transport._Watch = real  # type: ignore[misc]
    return {
        "Sharokey.get_details as shipped": statistics.median(timings["with"]),
        "Sharokey.get_details with the timer thread stubbed out": statistics.median(
            timings["without"]
        ),
    }


class _OneAttempt:
    """Stands in for tenacity's retrying loops: exactly one attempt, no retry machinery."""

    class _Attempt:
        class retry_state:  # tenacity's attribute name
            attempt_number = 1

        def __enter__(self) -> None:
            return None

        def __exit__(self, *exc_info: object) -> None:
            return None

    def __init__(self, **kwargs: Any) -> None:
        del kwargs

    def __iter__(self) -> Any:
        yield self._Attempt()

    async def __aiter__(self) -> Any:
        yield self._Attempt()


def _sdk_without_tenacity(api: str, token: str) -> dict[str, float]:
    """Both clients' get_details with tenacity swapped for one bare attempt, in this process."""
    import types

    import sharokey.async_client as async_shell
    import sharokey.client as sync_shell
    import sharokey.transports._requests as transport
    from sharokey import AsyncSharokey, Sharokey

    stub = types.SimpleNamespace(Retrying=_OneAttempt, AsyncRetrying=_OneAttempt)
    timings: dict[str, list[float]] = {k: [] for k in ("sync", "sync_stub", "async", "async_stub")}
    loop = asyncio.new_event_loop()

    async def open_async() -> AsyncSharokey:
        return AsyncSharokey(token, api_url=api)

    async_client = loop.run_until_complete(open_async())

    async def async_calls(n: int) -> float:
        started = time.perf_counter()
        for _ in range(n):
            await async_client.get_details(_light.SLUG)
        return (time.perf_counter() - started) / n * 1e6

    # The sync timer thread's noise would swamp tenacity's share: stubbed in both arms.
    real_watch = transport._Watch
    transport._Watch = _NoWatch  # type: ignore[misc,assignment]
    try:
        with Sharokey(token, api_url=api) as client:
            loop.run_until_complete(async_calls(20))
            for _ in range(5):  # interleaved
                for stubbed in (False, True):
                    setattr(sync_shell, "tenacity", stub if stubbed else tenacity)  # noqa: B010
                    setattr(async_shell, "tenacity", stub if stubbed else tenacity)  # noqa: B010
                    suffix = "_stub" if stubbed else ""
                    timings["sync" + suffix].append(
                        _us(lambda: client.get_details(_light.SLUG), 300, repeat=1)
                    )
                    timings["async" + suffix].append(loop.run_until_complete(async_calls(500)))
    finally:
        setattr(sync_shell, "tenacity", tenacity)  # noqa: B010
        setattr(async_shell, "tenacity", tenacity)  # noqa: B010
        transport._Watch = real_watch  # type: ignore[misc]
        loop.run_until_complete(async_client.aclose())
        loop.close()
    median = {key: statistics.median(values) for key, values in timings.items()}
    return {
        "Sharokey.get_details, no timer thread, tenacity as shipped": median["sync"],
        "Sharokey.get_details, no timer thread, one bare attempt": median["sync_stub"],
        "AsyncSharokey.get_details, tenacity as shipped": median["async"],
        "AsyncSharokey.get_details, one bare attempt instead of tenacity": median["async_stub"],
    }


def main() -> None:
    figures = _pieces()
    with server_process("light") as (api, token):
        figures.update(_requests_paths(api, token))
        figures.update(_sdk_without_watch(api, token))
        figures.update(_sdk_without_tenacity(api, token))
    width = max(map(len, figures))
    for name, value in figures.items():
        print(f"{name:<{width}}  {value:8.1f} µs")


if __name__ == "__main__":
    main()

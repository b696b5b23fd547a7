"""Unprofiled per-call costs of the pieces the profiles point at (µs, for ``PROFILE.md``).

::

    python -m benchmarks._micro

cProfile inflates small Python functions several times over, so each suspect
is timed here on its own, without a profiler: the timer thread each sync
attempt started before issue 16 and the watchdog's watch that replaced it,
tenacity's one-attempt loop (now entered only after a retryable failure),
cattrs structuring, the envelope decode, a thread-pool hop from the event
loop, three ways of sending the same GET with requests (``Session.request``,
``Session.send`` of a request prepared once, the mounted adapter's ``send``,
which the transport's own session now uses) against the light server, and
both clients' ``get_details`` interleaved with the bare calls they wrap, and
the async transport and ``get_details`` over a fake session (no I/O at all:
the SDK's own CPU per call, steady where loopback figures swing).
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


def _watchdog() -> Callable[[], None]:
    from sharokey.transports._requests import _Watchdog

    dog = _Watchdog()

    def watch() -> None:
        dog.release(dog.watch(60.0))

    return watch


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
        "threading.Timer start + cancel (the sync watch before issue 16)": _us(_timer, 2000),
        "_Watchdog watch + release (the sync watch now, per attempt)": _us(_watchdog(), 5000),
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


def _sdk_beside_floors(api: str, token: str) -> dict[str, float]:
    """Both clients' get_details as shipped, interleaved with the bare calls they wrap."""
    import aiohttp

    from sharokey import AsyncSharokey, Sharokey

    url = f"{api}/secrets/{_light.SLUG}"
    headers = _floor.get_headers(token)
    timings: dict[str, list[float]] = {k: [] for k in ("sync", "requests", "async", "aiohttp")}
    loop = asyncio.new_event_loop()

    async def open_async() -> tuple[AsyncSharokey, aiohttp.ClientSession]:
        return AsyncSharokey(token, api_url=api), aiohttp.ClientSession()

    async_client, bare = loop.run_until_complete(open_async())

    async def per_call(call: Callable[[], Any], n: int) -> float:
        for _ in range(20):
            await call()
        started = time.perf_counter()
        for _ in range(n):
            await call()
        return (time.perf_counter() - started) / n * 1e6

    async def bare_get() -> None:
        async with bare.get(url, headers=headers) as answer:
            await answer.read()

    with Sharokey(token, api_url=api) as client, requests.Session() as session:
        for _ in range(5):  # interleaved
            timings["sync"].append(_us(lambda: client.get_details(_light.SLUG), 300, repeat=1))
            timings["requests"].append(
                _us(lambda: session.get(url, headers=headers).content, 300, repeat=1)
            )
            timings["async"].append(
                loop.run_until_complete(
                    per_call(lambda: async_client.get_details(_light.SLUG), 500)
                )
            )
            timings["aiohttp"].append(loop.run_until_complete(per_call(bare_get, 500)))
    loop.run_until_complete(async_client.aclose())
    loop.run_until_complete(bare.close())
    loop.close()
    median = {key: statistics.median(values) for key, values in timings.items()}
    return {
        "Sharokey.get_details as shipped": median["sync"],
        "requests Session.get of the same GET (the floor)": median["requests"],
        "AsyncSharokey.get_details as shipped": median["async"],
        "aiohttp session.get of the same GET (the floor)": median["aiohttp"],
    }


class _FakeAnswer:
    """What aiohttp's ``ClientResponse`` offers the transport, answering at once."""

    def __init__(self, body: bytes) -> None:
        from multidict import CIMultiDict, CIMultiDictProxy

        self.status = 200
        self.body = body
        self.headers = CIMultiDictProxy(
            CIMultiDict(
                [
                    ("Content-Type", "application/json; charset=utf-8"),
                    ("Content-Length", str(len(body))),
                    ("Date", "Tue, 01 Dec 2026 13:00:00 GMT"),
                    ("Server", "Python/3.11 aiohttp/3.14"),
                ]
            )
        )

    async def read(self) -> bytes:
        return self.body

    async def __aenter__(self) -> _FakeAnswer:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None


class _FakeSession:
    """An ``aiohttp.ClientSession`` stand-in with no I/O: what remains is the SDK's own work."""

    closed = False

    def __init__(self, body: bytes) -> None:
        self._answer = _FakeAnswer(body)

    def request(self, *args: Any, **kwargs: Any) -> _FakeAnswer:
        return self._answer


def _fake_session() -> dict[str, float]:
    """The async client's own CPU per call: its transport and get_details over a fake session.

    Deterministic where the loopback figures are not (no server, no scheduling):
    the minimum over 25 runs of 5,000 calls, the two interleaved.
    """
    from sharokey import AsyncSharokey
    from sharokey._messages import Request

    api = "http://127.0.0.1:1/api/v1"
    session = _FakeSession(_light._envelope(_light._secret(api), "ok"))
    request = Request(method="GET", url=f"{api}/secrets/{_light.SLUG}", headers={})

    async def measure() -> dict[str, float]:
        client = AsyncSharokey("tok", api_url=api, session=session)
        transport, timeout = client._transport, client._timeout
        calls: dict[str, Callable[[], Any]] = {
            "AiohttpTransport.send over a fake session (no I/O)": lambda: transport.send(
                request, timeout
            ),
            "AsyncSharokey.get_details over a fake session (no I/O)": lambda: client.get_details(
                _light.SLUG
            ),
        }
        runs: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(25):
            for name, call in calls.items():
                started = time.perf_counter()
                for _ in range(5000):
                    await call()
                runs[name].append((time.perf_counter() - started) / 5000 * 1e6)
        return {name: min(values) for name, values in runs.items()}

    return asyncio.run(measure())


def main() -> None:
    figures = _pieces()
    figures.update(_fake_session())
    with server_process("light") as (api, token):
        figures.update(_requests_paths(api, token))
        figures.update(_sdk_beside_floors(api, token))
    width = max(map(len, figures))
    for name, value in figures.items():
        print(f"{name:<{width}}  {value:8.1f} µs")


if __name__ == "__main__":
    main()

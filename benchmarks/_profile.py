"""Profiles behind ``PROFILE.md``: each scenario and its raw floor against the light server.

::

    python -m benchmarks._profile                     # every scenario, top 25 by cumulative time
    python -m benchmarks._profile --only sync_get --top 40 --n 2000
    python -m benchmarks._profile --pstats /tmp/prof  # also keep <scenario>.<contender>.pstats

For every scenario it first times ``n`` calls of the SDK and of its floor
without a profiler (interleaved twice, per-call µs: the profiler's own
overhead inflates small functions), then runs each under cProfile and prints
the top functions by cumulative time. The light server runs in its own
process, so only the client's work is in the profile.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import statistics
import time
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Optional

import requests

from benchmarks import _floor, _light
from benchmarks._common import CONTENT
from benchmarks._harness import server_process

__all__ = ["main"]

Work = Callable[[int], None]  # does n operations


def _sync_create(api: str, token: str) -> tuple[Work, Work, Callable[[], None]]:
    from sharokey import Sharokey

    client = Sharokey(token, api_url=api)
    session = requests.Session()

    def ours(n: int) -> None:
        for _ in range(n):
            client.create(CONTENT)

    def floor(n: int) -> None:
        for _ in range(n):
            answer = session.post(
                api + "/secrets",
                data=_floor.create_body(CONTENT),
                headers=_floor.post_headers(token),
            )
            if answer.status_code != 201:
                raise RuntimeError(answer.status_code)

    def close() -> None:
        client.close()
        session.close()

    return ours, floor, close


def _sync_get(api: str, token: str) -> tuple[Work, Work, Callable[[], None]]:
    from sharokey import Sharokey

    client = Sharokey(token, api_url=api)
    session = requests.Session()
    url, headers = f"{api}/secrets/{_light.SLUG}", _floor.get_headers(token)

    def ours(n: int) -> None:
        for _ in range(n):
            client.get_details(_light.SLUG)

    def floor(n: int) -> None:
        for _ in range(n):
            answer = session.get(url, headers=headers)
            if answer.status_code != 200:
                raise RuntimeError(answer.status_code)

    def close() -> None:
        client.close()
        session.close()

    return ours, floor, close


class _Async:
    """One event loop kept for a scenario, so sessions and connections outlive each batch."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def run(self, awaitable: Awaitable[Any]) -> Any:
        return self.loop.run_until_complete(awaitable)


def _async(api: str, token: str, kind: str) -> tuple[Work, Work, Callable[[], None]]:
    import aiohttp

    from sharokey import AsyncSharokey

    env = _Async()

    async def open_both() -> tuple[Any, Any]:
        return AsyncSharokey(token, api_url=api), aiohttp.ClientSession()

    client, session = env.run(open_both())
    pool = ThreadPoolExecutor(os.cpu_count() or 1)
    url = f"{api}/secrets/{_light.SLUG}"

    async def floor_create() -> None:
        status = await _floor.hop_create(session, pool, api, token, CONTENT)
        if status != 201:
            raise RuntimeError(status)

    async def floor_get() -> None:
        async with session.get(url, headers=_floor.get_headers(token)) as answer:
            await answer.read()
            if answer.status != 200:
                raise RuntimeError(answer.status)

    ours_one: Callable[[], Awaitable[Any]]
    if kind == "get":
        floor_one: Callable[[], Awaitable[None]] = floor_get

        def ours_one() -> Awaitable[Any]:
            done: Awaitable[Any] = client.get_details(_light.SLUG)
            return done
    else:
        floor_one = floor_create

        def ours_one() -> Awaitable[Any]:
            done: Awaitable[Any] = client.create(CONTENT)
            return done

    async def sequential(call: Callable[[], Awaitable[Any]], n: int) -> None:
        for _ in range(n):
            await call()

    async def gathered(call: Callable[[], Awaitable[Any]], n: int) -> None:
        for _ in range(max(1, n // 100)):
            await asyncio.gather(*(call() for _ in range(100)))

    drive = gathered if kind == "gather" else sequential

    def close() -> None:
        async def shut() -> None:
            await client.aclose()
            await session.close()

        env.run(shut())
        env.loop.close()
        pool.shutdown()

    return (
        lambda n: env.run(drive(ours_one, n)),
        lambda n: env.run(drive(floor_one, n)),
        close,
    )


SCENARIOS: dict[
    str, tuple[str, Callable[[str, str], tuple[Work, Work, Callable[[], None]]], int]
] = {
    "sync_create": ("Sharokey.create vs requests.Session.post", _sync_create, 200),
    "sync_get": ("Sharokey.get_details vs requests.Session.get", _sync_get, 1000),
    "async_create": (
        "AsyncSharokey.create vs aiohttp post (crypto on a thread)",
        lambda a, t: _async(a, t, "create"),
        200,
    ),
    "async_get": (
        "AsyncSharokey.get_details vs aiohttp get",
        lambda a, t: _async(a, t, "get"),
        1000,
    ),
    "async_gather": (
        "100 AsyncSharokey.create under gather vs thread pool + aiohttp",
        lambda a, t: _async(a, t, "gather"),
        300,
    ),
}


def _per_call_us(work: Work, n: int) -> float:
    started = time.perf_counter()
    work(n)
    return (time.perf_counter() - started) / n * 1e6


def _profile(work: Work, n: int, top: int, keep: Optional[Path]) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    work(n)
    profiler.disable()
    if keep is not None:
        profiler.dump_stats(str(keep))
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._profile")
    parser.add_argument("--only", help="comma-separated: " + ", ".join(SCENARIOS))
    parser.add_argument("--n", type=int, help="operations per profile (default per scenario)")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--pstats", type=Path, help="also write .pstats files to this folder")
    args = parser.parse_args(argv)
    keys = args.only.split(",") if args.only else list(SCENARIOS)
    with server_process("light") as (api, token):
        for key in keys:
            title, make, default_n = SCENARIOS[key]
            n = args.n or default_n
            ours, floor, close = make(api, token)
            try:
                ours(5)
                floor(5)
                timings: dict[str, list[float]] = {"ours": [], "floor": []}
                for _ in range(3):  # interleaved, unprofiled
                    timings["ours"].append(_per_call_us(ours, n))
                    timings["floor"].append(_per_call_us(floor, n))
                us = {name: statistics.median(values) for name, values in timings.items()}
                print(f"\n## {key}: {title} ({n} operations)\n")
                print(
                    f"unprofiled: ours {us['ours']:.0f} µs/op, floor {us['floor']:.0f} µs/op, "
                    f"ratio {us['ours'] / us['floor']:.3f}, "
                    f"difference {us['ours'] - us['floor']:.0f} µs/op"
                )
                for name, work in (("ours", ours), ("floor", floor)):
                    keep = None
                    if args.pstats is not None:
                        args.pstats.mkdir(parents=True, exist_ok=True)
                        keep = args.pstats / f"{key}.{name}.pstats"
                    print(f"\n### {key} / {name}: cProfile, top {args.top} by cumulative\n")
                    print(_profile(work, n, args.top, keep))
            finally:
                close()


if __name__ == "__main__":
    main()

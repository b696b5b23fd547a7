"""Scenario 2: 100 creates at once under ``asyncio.gather``; the headline is the wall time of all.

Contenders: ``AsyncSharokey`` (its defaults: 10 pooled connections, sealing in
the loop's default thread pool), the official SDK 1.0.0 under
``asyncio.gather`` in its own interpreter, and the concurrent floor: the same
crypto on one worker thread per core and one plain keep-alive
``aiohttp.ClientSession`` posting.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Awaitable
from typing import Any, Callable

from benchmarks import _floor
from benchmarks._common import (
    CONTENT,
    WITHIN_CONCURRENT_FLOOR,
    Check,
    Contender,
    Metrics,
    Scenario,
    Settings,
    run_probe,
)

__all__ = ["build"]


async def _gather_timed(
    create: Callable[[], Awaitable[Any]], n: int, warmup: int, batches: int
) -> Metrics:
    """Median over ``batches`` of the wall time (and client CPU) of ``n`` creates at once."""
    await asyncio.gather(*(create() for _ in range(warmup)))
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(batches):
        gc.collect()
        cpu = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(create() for _ in range(n)))
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return {"ms": statistics.median(walls) * 1000.0, "cpu_ms": statistics.median(cpus) * 1000.0}


def build(settings: Settings) -> Scenario:
    n = settings.scale(100, 10)
    warmup = min(n, 10)
    batches = settings.scale(3, 1)
    floor_name = "concurrent floor (2 threads + aiohttp)"

    def async_round() -> Metrics:
        from sharokey import AsyncSharokey

        async def run() -> Metrics:
            async with AsyncSharokey(settings.token, api_url=settings.api_url) as client:
                return await _gather_timed(lambda: client.create(CONTENT), n, warmup, batches)

        return asyncio.run(run())

    def floor_round() -> Metrics:
        return asyncio.run(
            _floor.timed_hop_creates(
                settings.api_url,
                settings.token,
                CONTENT,
                lambda create: _gather_timed(create, n, warmup, batches),
            )
        )

    contenders = [
        Contender(floor_name, "floor", floor_round),
        Contender("AsyncSharokey", "ours", async_round),
    ]
    python = settings.official_python
    if python is not None:

        def official_round() -> Metrics:
            answer = run_probe(
                {
                    "mode": "concurrent",
                    "api_url": settings.api_url,
                    "token": settings.token,
                    "content": CONTENT,
                    "n": n,
                    "warmup": warmup,
                    "batches": batches,
                },
                python=python,
                ours=False,
                cwd=settings.workdir,
            )
            return {
                "ms": statistics.median(answer["walls"]) * 1000.0,
                "cpu_ms": statistics.median(answer["cpus"]) * 1000.0,
            }

        contenders.append(Contender("official SDK 1.0.0", "official", official_round))

    return Scenario(
        key="concurrent_creates",
        title=f"{n} creates at once (asyncio.gather; median of {batches} batches per round)",
        metrics={"ms": f"ms for all {n}", "cpu_ms": f"client CPU ms for all {n}"},
        contenders=contenders,
        checks=[
            Check(
                f"AsyncSharokey {n} at once",
                "AsyncSharokey",
                "ms",
                WITHIN_CONCURRENT_FLOOR,
                against=floor_name,
            )
        ],
        official={"AsyncSharokey": "official SDK 1.0.0"},
    )

"""Where the async client's CPU goes *in situ*: a sampling profile of real calls.

::

    python -m benchmarks._sample [--calls N] [--top K]

cProfile multiplies the cost of small Python functions, and a tight loop over
a fake session keeps every cache warm; neither shows what a call costs between
two waits on the network. Here a ``SIGPROF`` timer samples the process's CPU
while ``AsyncSharokey.get_details`` and, separately, a bare aiohttp GET of
the same answer run against the light server, and each sample is charged to
the innermost frame on the main thread's stack that is this SDK's (attrs'
and cattrs' generated methods count as the SDK's) or aiohttp's, else to
asyncio (C code is charged to the Python frame that called it).
The split is reported in µs per call. Worker threads are not sampled apart:
for get_details they do nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import signal
import time
from types import FrameType
from typing import Any, Callable, Optional

import aiohttp

from benchmarks import _floor, _light
from benchmarks._harness import server_process

__all__ = ["main"]

#: Seconds of process CPU between samples (the kernel rounds it up to its tick).
INTERVAL = 50e-6


def _ours(filename: str) -> bool:
    return "/sharokey/" in filename or filename.startswith(("<attrs", "<cattrs"))


def _charge(frame: Optional[FrameType]) -> str:
    """What the innermost frame that is the SDK's or aiohttp's says; else asyncio or other."""
    current = frame
    while current is not None:
        name = current.f_code.co_filename
        if _ours(name):
            return f"ours:{os.path.basename(name)}:{current.f_code.co_name}"
        if any(part in name for part in ("/aiohttp/", "/multidict/", "/yarl/")):
            return "aiohttp"
        current = current.f_back
    inner = frame.f_code.co_filename if frame is not None else ""
    return "asyncio" if "asyncio" in inner or "selectors" in inner else "other"


async def _sampled(call: Callable[[], Any], calls: int) -> tuple[float, collections.Counter[str]]:
    """(process CPU µs per call, samples by charge) over ``calls`` awaited calls."""
    for _ in range(200):
        await call()
    samples: collections.Counter[str] = collections.Counter()

    def on_sample(_: int, frame: Optional[FrameType]) -> None:
        samples[_charge(frame)] += 1

    previous = signal.signal(signal.SIGPROF, on_sample)
    signal.setitimer(signal.ITIMER_PROF, INTERVAL, INTERVAL)
    started = time.process_time()
    try:
        for _ in range(calls):
            await call()
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, previous)
    return (time.process_time() - started) / calls * 1e6, samples


def _report(title: str, cpu: float, samples: collections.Counter[str], top: int) -> None:
    total = sum(samples.values()) or 1
    groups: collections.Counter[str] = collections.Counter()
    for charge, count in samples.items():
        groups[charge.split(":")[0]] += count
    print(f"{title}: {cpu:.1f} µs of process CPU per call, {total} samples")
    for group, count in groups.most_common():
        print(f"  {group:<8} {count / total * cpu:7.1f} µs")
    for charge, count in samples.most_common():
        if charge.startswith("ours:") and top > 0:
            print(f"    {charge[5:]:<58} {count / total * cpu:6.1f} µs")
            top -= 1


async def _run(api: str, token: str, calls: int, top: int) -> None:
    from sharokey import AsyncSharokey

    url = f"{api}/secrets/{_light.SLUG}"
    headers = _floor.get_headers(token)
    async with aiohttp.ClientSession() as bare, AsyncSharokey(token, api_url=api) as client:

        async def bare_get() -> None:
            async with bare.get(url, headers=headers) as answer:
                await answer.read()

        async def details() -> None:
            await client.get_details(_light.SLUG)

        for title, call in (("bare aiohttp GET", bare_get), ("AsyncSharokey.get_details", details)):
            cpu, samples = await _sampled(call, calls)
            _report(title, cpu, samples, top)


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._sample", description=__doc__)
    parser.add_argument("--calls", type=int, default=40_000, help="calls per contender")
    parser.add_argument("--top", type=int, default=12, help="SDK functions listed")
    args = parser.parse_args(argv)
    with server_process("light") as (api, token):
        asyncio.run(_run(api, token, args.calls, args.top))


if __name__ == "__main__":
    main()

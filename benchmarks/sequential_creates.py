"""Scenario 1: creates one after another, each contender on its own keep-alive connection.

Contenders: ``Sharokey``, ``AsyncSharokey``, the official SDK 1.0.0 (in its
own interpreter, timing its own loop) and the raw floor (the same PBKDF2 and
AES-GCM, one ``requests.Session.post`` of the same body). ``AsyncSharokey`` is
judged against the same floor posting with one ``aiohttp.ClientSession``
instead: aiohttp is quicker per call than requests here, so the requests floor
would hide the async client's own overhead. Its target divides by that floor
with the crypto moved off the loop in one executor hop per create (a client
must not block its loop ~1 ms per key derivation, so ours hops too); the
floor sealing on the loop is still measured and its ratio shown beside. The
headline is the median wall time of one create within a round.
"""

from __future__ import annotations

import asyncio

import requests

from benchmarks import _floor
from benchmarks._common import (
    CONTENT,
    WARMUP,
    WITHIN_FLOOR,
    Check,
    Contender,
    Metrics,
    ProbeError,
    Scenario,
    Settings,
    run_probe,
    summarize,
    timed_calls,
    timed_calls_async,
)

__all__ = ["build"]

REQUESTS_FLOOR = "raw floor (requests)"
#: The aiohttp floor with its crypto on the loop (blocking it ~1 ms per create); shown beside.
AIOHTTP_FLOOR = "raw floor (aiohttp)"
#: The like-for-like floor of the async client: aiohttp, and the crypto off the loop in one
#: executor hop per create, as any client that never blocks its loop must do.
AIOHTTP_HOP_FLOOR = "raw floor (aiohttp, crypto off-loop)"


def build(settings: Settings) -> Scenario:
    n = settings.scale(50, 3)
    warmup = settings.scale(WARMUP, 1)

    def sync_round() -> Metrics:
        from sharokey import Sharokey

        with Sharokey(settings.token, api_url=settings.api_url) as client:
            return timed_calls(lambda: client.create(CONTENT), n, warmup)

    def async_round() -> Metrics:
        from sharokey import AsyncSharokey

        async def run() -> Metrics:
            async with AsyncSharokey(settings.token, api_url=settings.api_url) as client:
                return await timed_calls_async(lambda: client.create(CONTENT), n, warmup)

        return asyncio.run(run())

    def floor_round() -> Metrics:
        url = settings.api_url + "/secrets"
        with requests.Session() as session:

            def create() -> None:
                body = _floor.create_body(CONTENT)
                answer = session.post(url, data=body, headers=_floor.post_headers(settings.token))
                if answer.status_code != 201:
                    raise ProbeError(f"floor create: HTTP {answer.status_code}")

            return timed_calls(create, n, warmup)

    def aiohttp_floor_round() -> Metrics:
        import aiohttp

        url = settings.api_url + "/secrets"

        async def run() -> Metrics:
            async with aiohttp.ClientSession() as session:

                async def create() -> None:
                    body = _floor.create_body(CONTENT)
                    headers = _floor.post_headers(settings.token)
                    async with session.post(url, data=body, headers=headers) as answer:
                        await answer.read()
                        if answer.status != 201:
                            raise ProbeError(f"floor create: HTTP {answer.status}")

                return await timed_calls_async(create, n, warmup)

        return asyncio.run(run())

    def aiohttp_hop_floor_round() -> Metrics:
        return asyncio.run(
            _floor.timed_hop_creates(
                settings.api_url,
                settings.token,
                CONTENT,
                lambda create: timed_calls_async(create, n, warmup),
            )
        )

    contenders = [
        Contender(REQUESTS_FLOOR, "floor", floor_round),
        Contender(AIOHTTP_FLOOR, "floor", aiohttp_floor_round),
        Contender(AIOHTTP_HOP_FLOOR, "floor", aiohttp_hop_floor_round),
        Contender("Sharokey", "ours", sync_round),
        Contender("AsyncSharokey", "ours", async_round),
    ]
    python = settings.official_python
    if python is not None:

        def official_round() -> Metrics:
            answer = run_probe(
                {
                    "mode": "creates",
                    "api_url": settings.api_url,
                    "token": settings.token,
                    "content": CONTENT,
                    "n": n,
                    "warmup": warmup,
                },
                python=python,
                ours=False,
                cwd=settings.workdir,
            )
            return summarize(answer["latencies"], answer["cpu"])

        contenders.append(Contender("official SDK 1.0.0", "official", official_round))

    return Scenario(
        key="sequential_creates",
        title=f"Sequential creates ({n} per round)",
        metrics={"ms": "ms per create (median)", "cpu_ms": "client CPU ms per create"},
        contenders=contenders,
        checks=[
            Check("Sharokey create", "Sharokey", "ms", WITHIN_FLOOR, against=REQUESTS_FLOOR),
            Check(
                "AsyncSharokey create",
                "AsyncSharokey",
                "ms",
                WITHIN_FLOOR,
                against=AIOHTTP_HOP_FLOOR,
            ),
            Check(
                "AsyncSharokey create vs the crypto-on-loop floor",
                "AsyncSharokey",
                "ms",
                WITHIN_FLOOR,
                against=AIOHTTP_FLOOR,
                beside=True,
            ),
        ],
        official={"Sharokey": "official SDK 1.0.0", "AsyncSharokey": "official SDK 1.0.0"},
    )

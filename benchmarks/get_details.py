"""Scenario 3: ``get_details`` of one secret, one call after another.

Contenders: ``Sharokey``, ``AsyncSharokey``, the official SDK 1.0.0's
``get`` and the raw floor: a bare ``requests`` GET on a keep-alive session
that reads the body and checks the status, nothing else. ``AsyncSharokey`` is
judged against the same bare GET with ``aiohttp``, its like-for-like floor.

Beside it (no verdict) runs the *typed reference*: that bare aiohttp GET with
the SDK's default timeouts, ``json.loads`` of the body and the SDK's own
converter making the :class:`~sharokey.Secret`. It is what any client that
bounds its waits and returns typed models must do at least, so its ratio to
the bare GET shows how much of the async target that work alone spends.
"""

from __future__ import annotations

import asyncio
from typing import Any

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

#: The like-for-like floor of the async client: one bare aiohttp GET on a keep-alive session.
AIOHTTP_FLOOR = "raw floor (aiohttp GET)"
#: The bare aiohttp GET plus timeouts, json.loads and the Secret model: shown beside.
TYPED_REFERENCE = "typed reference (aiohttp GET + timeouts + json + Secret)"


def _make_secret(settings: Settings) -> str:
    with requests.Session() as session:
        answer = session.post(
            settings.api_url + "/secrets",
            data=_floor.create_body(CONTENT),
            headers=_floor.post_headers(settings.token),
        )
        if answer.status_code != 201:
            raise ProbeError(f"could not create the secret to read: HTTP {answer.status_code}")
        slug: str = answer.json()["data"]["slug"]
        return slug


def build(settings: Settings) -> Scenario:
    n = settings.scale(200, 5)
    warmup = settings.scale(WARMUP, 1)
    slug = _make_secret(settings)
    floor_name = "raw floor (requests GET)"

    def sync_round() -> Metrics:
        from sharokey import Sharokey

        with Sharokey(settings.token, api_url=settings.api_url) as client:
            return timed_calls(lambda: client.get_details(slug), n, warmup)

    def async_round() -> Metrics:
        from sharokey import AsyncSharokey

        async def run() -> Metrics:
            async with AsyncSharokey(settings.token, api_url=settings.api_url) as client:
                return await timed_calls_async(lambda: client.get_details(slug), n, warmup)

        return asyncio.run(run())

    def floor_round() -> Metrics:
        url = f"{settings.api_url}/secrets/{slug}"
        headers = _floor.get_headers(settings.token)
        with requests.Session() as session:

            def get() -> None:
                answer = session.get(url, headers=headers)
                if answer.status_code != 200:
                    raise ProbeError(f"floor get: HTTP {answer.status_code}")

            return timed_calls(get, n, warmup)

    def aiohttp_round(typed: bool) -> Metrics:
        """The bare aiohttp GET; ``typed``: the typed reference (timeouts, JSON, the Secret)."""
        import json

        import aiohttp

        from sharokey import Secret, Timeout
        from sharokey._convert import structure

        url = f"{settings.api_url}/secrets/{slug}"
        headers = _floor.get_headers(settings.token)
        # The bare GET keeps the session's default timeout, as a plain aiohttp user would.
        extra: dict[str, Any] = {}
        if typed:
            limits = Timeout()
            extra["timeout"] = aiohttp.ClientTimeout(
                total=limits.total, sock_connect=limits.connect, sock_read=limits.read
            )

        async def run() -> Metrics:
            async with aiohttp.ClientSession() as session:

                async def get() -> None:
                    async with session.get(url, headers=headers, **extra) as answer:
                        body = await answer.read()
                        if answer.status != 200:
                            raise ProbeError(f"aiohttp get: HTTP {answer.status}")
                    if typed:
                        structure(json.loads(body)["data"], Secret)

                return await timed_calls_async(get, n, warmup)

        return asyncio.run(run())

    contenders = [
        Contender(floor_name, "floor", floor_round),
        Contender(AIOHTTP_FLOOR, "floor", lambda: aiohttp_round(typed=False)),
        Contender("Sharokey", "ours", sync_round),
        Contender("AsyncSharokey", "ours", async_round),
        Contender(TYPED_REFERENCE, "floor", lambda: aiohttp_round(typed=True)),
    ]
    python = settings.official_python
    if python is not None:

        def official_round() -> Metrics:
            answer = run_probe(
                {
                    "mode": "gets",
                    "api_url": settings.api_url,
                    "token": settings.token,
                    "slug": slug,
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
        key="get_details",
        title=f"Sequential get_details ({n} per round)",
        metrics={"ms": "ms per call (median)", "cpu_ms": "client CPU ms per call"},
        contenders=contenders,
        checks=[
            Check("Sharokey get_details", "Sharokey", "ms", WITHIN_FLOOR, against=floor_name),
            Check(
                "AsyncSharokey get_details",
                "AsyncSharokey",
                "ms",
                WITHIN_FLOOR,
                against=AIOHTTP_FLOOR,
            ),
            Check(
                "typed reference get vs the aiohttp GET (what models and timeouts cost)",
                TYPED_REFERENCE,
                "ms",
                WITHIN_FLOOR,
                against=AIOHTTP_FLOOR,
                beside=True,
            ),
            Check(
                "AsyncSharokey get_details vs the typed reference",
                "AsyncSharokey",
                "ms",
                WITHIN_FLOOR,
                against=TYPED_REFERENCE,
                beside=True,
            ),
        ],
        official={"Sharokey": "official SDK 1.0.0", "AsyncSharokey": "official SDK 1.0.0"},
    )

"""Many calls at once: the connection pool holds its bound, nothing leaks, sessions survive.

Connections are counted from the kernel's side: the sockets this process has
open to the emulator's port (``/proc/net/tcp`` entries whose inode is one of
our file descriptors), sampled while the calls run. The emulator delays every
answer a little so that calls overlap and the pool is really put under
pressure. Linux only (``/proc``); elsewhere these tests skip.
"""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests

import sharokey
from sharokey.emulator import EmulatorHandle, run_emulator

pytestmark = [
    pytest.mark.live,
    pytest.mark.usefixtures("clean_env"),
    pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="counts sockets via /proc"),
]

TOKEN = "concurrency-token-0001"
ESTABLISHED = "01"


def _port(emu: EmulatorHandle) -> int:
    return int(emu.api_url.rsplit(":", 1)[1].split("/", 1)[0])


def _our_socket_inodes() -> set[str]:
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def client_sockets(port: int) -> list[str]:
    """TCP states of the sockets this process holds open *to* ``port`` (client side)."""
    ours = _our_socket_inodes()
    states = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if remote_port == port and fields[9] in ours:
                states.append(fields[3])
    return states


def open_connections(port: int) -> int:
    return sum(1 for state in client_sockets(port) if state == ESTABLISHED)


@pytest.fixture
def emu() -> Iterator[EmulatorHandle]:
    with run_emulator(tokens=[TOKEN]) as handle:
        yield handle


# --------------------------------------------------------------------------- async


@pytest.mark.parametrize("limit", [10, 4])
async def test_200_concurrent_async_calls_keep_to_the_pool_and_leave_nothing_open(
    emu: EmulatorHandle, limit: int
) -> None:
    port = _port(emu)
    with sharokey.Sharokey(TOKEN, api_url=emu.api_url) as setup:
        slugs = [setup.create(f"secret {n}").slug for n in range(5)]
    emu.add_fault("GET * delay=0.02")  # every answer a little late: calls overlap
    peak = 0
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, open_connections(port))
            await asyncio.sleep(0.005)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client = sharokey.AsyncSharokey(TOKEN, api_url=emu.api_url, max_connections=limit)
        sampler = asyncio.create_task(sample())
        calls: list[Any] = []
        for n in range(200):
            if n % 4 == 3:
                calls.append(client.list_secrets())
            else:
                calls.append(client.get_details(slugs[n % len(slugs)]))
        results = await asyncio.gather(*calls)
        done.set()
        await sampler
        await client.aclose()

        # Each call got its own answer.
        for n, result in enumerate(results):
            if n % 4 == 3:
                assert len(result.data) == 5
            else:
                assert result.slug == slugs[n % len(slugs)]
        assert peak == limit  # the pool filled up, and never went past its bound

        for _ in range(200):  # closing finishes on the next turns of the loop
            if not client_sockets(port):
                break
            await asyncio.sleep(0.01)
        assert client_sockets(port) == []
        del client
        gc.collect()
    leaks = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaks == [], [str(w.message) for w in leaks]
    assert emu.hits("GET", "*") == 200


# --------------------------------------------------------------------------- threads


def test_one_sync_client_shared_by_8_threads_keeps_results_apart_and_the_pool_bound(
    emu: EmulatorHandle,
) -> None:
    port = _port(emu)
    limit = 4
    emu.add_fault("* * delay=0.01")
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, open_connections(port))
            done.wait(0.005)

    def work(client: sharokey.Sharokey, thread: int) -> list[str]:
        mine = []
        for n in range(4):
            content = f"thread {thread} secret {n}"
            created = client.create(content, description=content)
            assert client.get_details(created.slug).description == content
            mine.append(created.slug)
        listed = {secret.slug: secret for secret in client.list_secrets(limit=7)}
        assert set(mine) <= set(listed)
        assert all(
            listed[slug].description == f"thread {thread} secret {n}" for n, slug in enumerate(mine)
        )
        client.delete(mine[0])
        assert client.get_details(mine[0]).status == "expired"
        assert client.get_details(mine[1]).status == "active"
        return mine

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        client = sharokey.Sharokey(TOKEN, api_url=emu.api_url, max_connections=limit)
        with client, ThreadPoolExecutor(max_workers=8) as pool:
            per_thread = list(pool.map(lambda t: work(client, t), range(8)))
    finally:
        done.set()
        sampler.join()

    assert len({slug for slugs in per_thread for slug in slugs}) == 32
    assert emu.secret_count() == 32
    assert peak == limit
    assert client_sockets(port) == []  # close() let every connection go


# --------------------------------------------------------------------------- caller's sessions


def test_a_callers_requests_session_is_used_and_stays_usable(emu: EmulatorHandle) -> None:
    answered: list[int] = []
    session = requests.Session()
    session.hooks["response"].append(lambda response, **_: answered.append(response.status_code))
    try:
        with sharokey.Sharokey(TOKEN, api_url=emu.api_url, session=session) as client:
            created = client.create("through the caller's session")
            assert client.reveal(created.share_url).content == "through the caller's session"
        assert len(answered) == 2  # both calls went through it
        # The client is closed; the caller's session is not: its pooled connection stays.
        assert open_connections(_port(emu)) == 1

        assert session.get(f"{emu.api_url}/health", timeout=5).status_code == 200
        with sharokey.Sharokey(TOKEN, api_url=emu.api_url, session=session) as again:
            assert again.get_details(created.slug).slug == created.slug
        assert len(answered) == 4
    finally:
        session.close()


async def test_a_callers_aiohttp_session_is_used_and_stays_usable(emu: EmulatorHandle) -> None:
    sent: list[str] = []

    async def on_request_end(_: Any, __: Any, params: aiohttp.TraceRequestEndParams) -> None:
        sent.append(params.method)

    tracing = aiohttp.TraceConfig()
    tracing.on_request_end.append(on_request_end)
    async with aiohttp.ClientSession(trace_configs=[tracing]) as session:
        async with sharokey.AsyncSharokey(TOKEN, api_url=emu.api_url, session=session) as client:
            created = await client.create("through the caller's session")
            revealed = await client.reveal(created.share_url)
            assert revealed.content == "through the caller's session"
        assert sent == ["POST", "POST"]  # both calls went through it
        # The client is closed; the caller's session is not: its pooled connection stays.
        assert not session.closed
        assert open_connections(_port(emu)) == 1

        async with session.get(f"{emu.api_url}/health") as answer:
            assert answer.status == 200
        async with sharokey.AsyncSharokey(TOKEN, api_url=emu.api_url, session=session) as again:
            assert (await again.get_details(created.slug)).slug == created.slug
        assert sent == ["POST", "POST", "GET", "GET"]

"""Measure one contender in a fresh interpreter and print the figures as JSON.

Run by the harness as ``python -I _probe.py`` with a JSON configuration on
stdin. The same file serves this SDK (the harness puts the repository on
``sys_path``) and the official SDK 1.0.0 (run with its own virtual
environment's interpreter, from a folder outside the repository, so that
``import sharokey`` finds the official package). It imports only the standard
library at module level; the client under test is imported inside.

Each mode times its own loop, so interpreter start-up and imports are never
counted. Modes:

- ``creates`` / ``gets`` (official): sequential calls, per-call latencies;
- ``concurrent`` (official): ``n`` creates under ``asyncio.gather``;
- ``big`` (``sync``, ``async``, ``official``, ``floor``): one create with a
  large attachment, reporting wall time, the resident set's peak above the
  baseline taken just before the call, and, for asyncio clients, the event
  loop's worst lateness seen by a 1 ms ticker.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import json
import subprocess
import sys
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, Callable, Optional

TICK = 0.001


# --------------------------------------------------------------------------- memory


def _status_kib(field: str) -> Optional[int]:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class Memory:
    """Peak resident set above a baseline: VmHWM reset through clear_refs when Linux allows."""

    def __init__(self) -> None:
        self.method = "none"
        self.baseline = 0

    def start(self) -> None:
        gc.collect()
        try:
            with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
                refs.write("5")  # resets VmHWM to the current resident set
            self.method = "VmHWM"
            self.baseline = (_status_kib("VmRSS") or 0) * 1024
            return
        except OSError:
            pass
        import resource

        # No reset: only the growth of the high-water mark is seen (a lower bound).
        self.method = "ru_maxrss"
        self.baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    def peak_above_baseline(self) -> float:
        if self.method == "VmHWM":
            return float((_status_kib("VmHWM") or 0) * 1024 - self.baseline)
        import resource

        return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - self.baseline)


class Ticker:
    """A task that sleeps 1 ms over and over and records how late it wakes up."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._stop = False
        self._task: Optional[asyncio.Task[None]] = None

    async def _run(self) -> None:
        while not self._stop:
            started = time.perf_counter()
            await asyncio.sleep(TICK)
            self.worst = max(self.worst, time.perf_counter() - started - TICK)

    async def __aenter__(self) -> Ticker:
        self._task = asyncio.ensure_future(self._run())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._stop = True
        if self._task is not None:
            await self._task


async def _idle_stall(seconds: float) -> float:
    """The ticker's worst lateness on an idle loop for as long: the machine's own noise, ms."""
    async with Ticker() as ticker:
        await asyncio.sleep(seconds)
    return ticker.worst * 1000.0


# --------------------------------------------------------------------------- the official SDK


def _official_client(config: dict[str, Any]) -> Any:
    sharokey = importlib.import_module("sharokey")
    if getattr(sharokey, "__version__", None) != "1.0.0" or not hasattr(sharokey, "SharokeyClient"):
        raise SystemExit("this interpreter does not import the official SDK 1.0.0 as sharokey")
    return sharokey.SharokeyClient(token=config["token"], api_url=config["api_url"], timeout=120)


def _official_slug(answer: Any) -> str:
    data = answer.get("data") if isinstance(answer, dict) else None
    slug = data.get("slug") if isinstance(data, dict) else None
    if not isinstance(slug, str) or not slug:
        raise SystemExit("the official SDK's create answered without a slug")
    return slug


async def _timed_loop(call: Callable[[], Awaitable[Any]], n: int, warmup: int) -> dict[str, Any]:
    for _ in range(warmup):
        await call()
    gc.collect()
    latencies: list[float] = []
    cpu = time.process_time()
    for _ in range(n):
        started = time.perf_counter()
        await call()
        latencies.append(time.perf_counter() - started)
    return {"latencies": latencies, "cpu": time.process_time() - cpu}


async def official_creates(config: dict[str, Any]) -> dict[str, Any]:
    client = _official_client(config)
    content = config["content"]

    async def create() -> None:
        _official_slug(await client.create(content))

    return await _timed_loop(create, config["n"], config["warmup"])


async def official_gets(config: dict[str, Any]) -> dict[str, Any]:
    client = _official_client(config)
    slug = config["slug"]

    async def get() -> None:
        answer = await client.get(slug)
        if not isinstance(answer, dict) or not answer.get("success", True):
            raise SystemExit("the official SDK's get failed")

    return await _timed_loop(get, config["n"], config["warmup"])


async def official_concurrent(config: dict[str, Any]) -> dict[str, Any]:
    client = _official_client(config)
    content = config["content"]
    for answer in await asyncio.gather(*(client.create(content) for _ in range(config["warmup"]))):
        _official_slug(answer)
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(config["batches"]):
        gc.collect()
        cpu = time.process_time()
        started = time.perf_counter()
        answers = await asyncio.gather(*(client.create(content) for _ in range(config["n"])))
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
        for answer in answers:
            _official_slug(answer)
    return {"walls": walls, "cpus": cpus}


# --------------------------------------------------------------------------- one large create


def _finish(started: float, cpu: float, memory: Memory, slug: str) -> dict[str, Any]:
    wall = time.perf_counter() - started
    return {
        "seconds": wall,
        "cpu": time.process_time() - cpu,
        "peak_bytes": memory.peak_above_baseline(),
        "memory_method": memory.method,
        "slug": slug,
    }


def big_sync(config: dict[str, Any]) -> dict[str, Any]:
    from sharokey import Sharokey

    content, small, large = config["content"], config["small_file"], config["large_file"]
    with Sharokey(
        config["token"], api_url=config["api_url"], timeout=120, attachment_nonces="shared"
    ) as client:
        for _ in range(config["warmup"]):
            client.create(content, attachments=[small])
        memory = Memory()
        memory.start()
        cpu = time.process_time()
        started = time.perf_counter()
        created = client.create(content, attachments=[large])
        return _finish(started, cpu, memory, created.slug)


async def big_async(config: dict[str, Any]) -> dict[str, Any]:
    from sharokey import AsyncSharokey

    content, small, large = config["content"], config["small_file"], config["large_file"]
    async with AsyncSharokey(
        config["token"], api_url=config["api_url"], timeout=120, attachment_nonces="shared"
    ) as client:
        for _ in range(config["warmup"]):
            await client.create(content, attachments=[small])
        memory = Memory()
        memory.start()  # before the ticker: its gc.collect() is not the client's stall
        async with Ticker() as ticker:
            cpu = time.process_time()
            started = time.perf_counter()
            created = await client.create(content, attachments=[large])
            result = _finish(started, cpu, memory, created.slug)
        result["stall_ms"] = ticker.worst * 1000.0
        result["idle_stall_ms"] = await _idle_stall(result["seconds"])
        return result


def _created_elsewhere(config: dict[str, Any]) -> str:
    """The share link of a secret holding the large file, created by another process.

    Created here, the 10 MiB create would leave its freed heap resident, and the
    reveal's peak above that baseline would count only what it needs beyond it.
    """
    script = (
        "import sys, sharokey\n"
        "token, url, content, path = sys.argv[1:]\n"
        "with sharokey.Sharokey(\n"
        "    token, api_url=url, timeout=120, attachment_nonces='shared'\n"
        ") as c:\n"
        "    print(c.create(content, attachments=[path]).share_url)\n"
    )
    argv = [config["token"], config["api_url"], config["content"], config["large_file"]]
    done = subprocess.run(
        [sys.executable, "-c", script, *argv], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def big_reveal_sync(config: dict[str, Any]) -> dict[str, Any]:
    """Reveal a secret holding the large file (created untimed, by another process)."""
    from sharokey import Sharokey

    content, small, large = config["content"], config["small_file"], config["large_file"]
    with Sharokey(
        config["token"], api_url=config["api_url"], timeout=120, attachment_nonces="shared"
    ) as client:
        for _ in range(config["warmup"]):
            client.reveal(client.create(content, views=2, attachments=[small]).share_url)
        link = _created_elsewhere(config)
        memory = Memory()
        memory.start()
        cpu = time.process_time()
        started = time.perf_counter()
        revealed = client.reveal(link)
        result = _finish(started, cpu, memory, revealed.slug)
        _check_revealed(revealed, large)
        return result


async def big_reveal_async(config: dict[str, Any]) -> dict[str, Any]:
    """As :func:`big_reveal_sync`, with the event loop's worst stall during the reveal."""
    from sharokey import AsyncSharokey

    content, small, large = config["content"], config["small_file"], config["large_file"]
    async with AsyncSharokey(
        config["token"], api_url=config["api_url"], timeout=120, attachment_nonces="shared"
    ) as client:
        for _ in range(config["warmup"]):
            warm = await client.create(content, views=2, attachments=[small])
            await client.reveal(warm.share_url)
        link = _created_elsewhere(config)
        memory = Memory()
        memory.start()  # before the ticker: its gc.collect() is not the client's stall
        async with Ticker() as ticker:
            cpu = time.process_time()
            started = time.perf_counter()
            revealed = await client.reveal(link)
            result = _finish(started, cpu, memory, revealed.slug)
        _check_revealed(revealed, large)
        result["stall_ms"] = ticker.worst * 1000.0
        result["idle_stall_ms"] = await _idle_stall(result["seconds"])
        return result


def _check_revealed(revealed: Any, path: str) -> None:
    # Outside the timing: the file came back whole (a benchmark of a wrong answer is no use).
    if len(revealed.attachments) != 1 or revealed.attachments[0].data != Path(path).read_bytes():
        raise SystemExit("the revealed attachment differs from the file sent")


async def big_official(config: dict[str, Any]) -> dict[str, Any]:
    client = _official_client(config)
    content, small, large = config["content"], config["small_file"], config["large_file"]
    for _ in range(config["warmup"]):
        _official_slug(await client.create(content, attachments=[small]))
    memory = Memory()
    memory.start()  # before the ticker: its gc.collect() is not the client's stall
    async with Ticker() as ticker:
        cpu = time.process_time()
        started = time.perf_counter()
        answer = await client.create(content, attachments=[large])
        result = _finish(started, cpu, memory, _official_slug(answer))
    result["stall_ms"] = ticker.worst * 1000.0
    result["idle_stall_ms"] = await _idle_stall(result["seconds"])
    return result


def big_floor(config: dict[str, Any]) -> dict[str, Any]:
    import requests

    from benchmarks._floor import create_body, post_headers

    content, small, large = config["content"], config["small_file"], config["large_file"]
    url = config["api_url"] + "/secrets"
    token = config["token"]

    def create(path: str) -> str:
        data = Path(path).read_bytes()
        body = create_body(content, [(Path(path).name, data)])
        del data
        answer = session.post(url, data=body, headers=post_headers(token), timeout=120)
        if answer.status_code != 201:
            raise SystemExit(f"the floor's create got HTTP {answer.status_code}")
        slug: str = answer.json()["data"]["slug"]
        return slug

    with requests.Session() as session:
        for _ in range(config["warmup"]):
            create(small)
        memory = Memory()
        memory.start()
        cpu = time.process_time()
        started = time.perf_counter()
        slug = create(large)
        return _finish(started, cpu, memory, slug)


# --------------------------------------------------------------------------- entry point

MODES: dict[str, Callable[[dict[str, Any]], Any]] = {
    "creates": official_creates,
    "gets": official_gets,
    "concurrent": official_concurrent,
    "big-sync": big_sync,
    "big-async": big_async,
    "big-official": big_official,
    "big-floor": big_floor,
    "big-reveal-sync": big_reveal_sync,
    "big-reveal-async": big_reveal_async,
}


def main() -> int:
    config: dict[str, Any] = json.loads(sys.stdin.read())
    for entry in reversed(config.get("sys_path", [])):
        sys.path.insert(0, entry)
    mode = MODES[config["mode"]]
    result = mode(config)
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    sys.stdout.write(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

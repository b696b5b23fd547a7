"""What every scenario shares: settings, contenders, checks, timing loops, the probe runner."""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

__all__ = [
    "CONTENT",
    "PROBE",
    "REPO_ROOT",
    "WARMUP",
    "WITHIN_CONCURRENT_FLOOR",
    "WITHIN_FLOOR",
    "Check",
    "Contender",
    "Metrics",
    "ProbeError",
    "Scenario",
    "Settings",
    "run_probe",
    "summarize",
    "timed_calls",
    "timed_calls_async",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
PROBE = Path(__file__).resolve().parent / "_probe.py"

#: The secret every create sends: short text, as most secrets are.
CONTENT = "benchmark secret: db password is correct-horse-battery-staple"

#: Issue 16's targets: every call within 1.10x of its raw floor, 100 concurrent creates
#: within 1.15x of the concurrent floor.
WITHIN_FLOOR = 1.10
WITHIN_CONCURRENT_FLOOR = 1.15

#: Untimed calls before each timed loop: connections open, lazy imports done.
WARMUP = 3


@dataclass(frozen=True)
class Settings:
    """One run's parameters, handed to every scenario factory."""

    api_url: str
    token: str
    rounds: int
    quick: bool
    workdir: Path
    official_python: Optional[Path] = None
    official_note: str = ""
    #: ``emulator``, ``light`` or ``api-url``: the light server stores nothing to reveal.
    server: str = "emulator"

    def scale(self, full: int, quick: int) -> int:
        return quick if self.quick else full


Metrics = Mapping[str, float]


@dataclass(frozen=True)
class Contender:
    """One way of doing the scenario's work; ``run_round`` does it once and returns metrics.

    ``role``: ``ours`` (this SDK), ``floor`` (the least a client must do),
    ``official`` (the official SDK 1.0.0) or ``reference`` (context only).
    """

    name: str
    role: str
    run_round: Callable[[], Metrics]


@dataclass(frozen=True)
class Check:
    """A target: ``contender``'s ``metric``, or its ratio to ``against``, within ``limit``.

    With ``against`` the value is the median of the per-round ratios (each
    round pairs the two contenders measured moments apart); without it, the
    median of the metric divided by ``divisor``. ``strict`` asks for ``<``.
    ``beside`` marks a ratio shown for comparison only (a floor a target no
    longer divides by): it gets no verdict and is not counted.
    """

    measure: str
    contender: str
    metric: str
    limit: float
    against: Optional[str] = None
    divisor: float = 1.0
    unit: str = "x"
    strict: bool = False
    beside: bool = False


@dataclass
class Scenario:
    """Contenders measured in interleaved rounds, and the targets they are judged by."""

    key: str
    title: str
    #: metric name -> how the table labels it (the first one is the headline).
    metrics: dict[str, str]
    contenders: list[Contender]
    checks: list[Check]
    #: contender -> the official SDK contender shown beside it (same metric, ratio).
    official: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    cleanup: Optional[Callable[[], None]] = None


class ProbeError(RuntimeError):
    """A measuring subprocess failed; the message carries the tail of its stderr."""


def summarize(latencies: Sequence[float], cpu: float) -> dict[str, float]:
    """One round's figures from per-call latencies and the CPU seconds they used."""
    return {
        "ms": statistics.median(latencies) * 1000.0,
        "mean_ms": statistics.fmean(latencies) * 1000.0,
        "cpu_ms": cpu / len(latencies) * 1000.0,
    }


def timed_calls(call: Callable[[], Any], n: int, warmup: int = WARMUP) -> dict[str, float]:
    """Median and mean wall time per call and CPU per call of ``n`` sequential calls."""
    for _ in range(warmup):
        call()
    gc.collect()
    latencies: list[float] = []
    cpu = time.process_time()
    for _ in range(n):
        started = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - started)
    return summarize(latencies, time.process_time() - cpu)


async def timed_calls_async(
    call: Callable[[], Awaitable[Any]], n: int, warmup: int = WARMUP
) -> dict[str, float]:
    """The asyncio twin of :func:`timed_calls`."""
    for _ in range(warmup):
        await call()
    gc.collect()
    latencies: list[float] = []
    cpu = time.process_time()
    for _ in range(n):
        started = time.perf_counter()
        await call()
        latencies.append(time.perf_counter() - started)
    return summarize(latencies, time.process_time() - cpu)


def _tail(text: str, lines: int = 6) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


def clean_env(**extra: str) -> dict[str, str]:
    """An environment pointing at neither project: the probes are told what to import."""
    keep = ("PATH", "HOME", "SYSTEMROOT", "TMPDIR", "TEMP", "TMP", "LANG", "LC_ALL")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.update(extra)
    return env


def run_probe(
    config: Mapping[str, Any],
    *,
    python: Optional[Path] = None,
    ours: bool = True,
    cwd: Path,
    timeout: float = 300.0,
) -> dict[str, Any]:
    """Run ``_probe.py`` isolated (``-I``) in a fresh interpreter; return its JSON answer.

    ``ours`` puts this repository on the probe's path; the official SDK's probe
    runs without it, from a folder outside the repository, so only the
    official package can be imported as ``sharokey``. The token travels on
    stdin, never on a command line.
    """
    payload = dict(config)
    payload["sys_path"] = [str(REPO_ROOT)] if ours else []
    done = subprocess.run(
        [str(python or sys.executable), "-I", str(PROBE)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=str(cwd),
        env=clean_env(),
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise ProbeError(f"probe {payload.get('mode')} failed: {_tail(done.stderr)}")
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer

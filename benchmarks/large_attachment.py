"""Scenario 4: one create (and one reveal) of a 10 MiB attachment, each in a fresh interpreter.

Measured in the client's own process (the emulator runs in another): the
wall time of the create (file read, sealing, body, upload, answer), the peak
resident set above the baseline taken just before the call, and for asyncio
clients the worst lateness of a ticker task that sleeps 1 ms over and over
(how long the event loop was blocked). The reveal of a secret holding the
file (created first, untimed) is measured the same way; the light server
stores nothing, so there only the create is. The floor reads the file, seals it
with AES-GCM, base64-encodes it and posts a body of the same size with
``requests``. Each created secret is deleted afterwards, outside the timing,
so the emulator's memory stays flat.
"""

from __future__ import annotations

import os
from typing import Any

import requests

from benchmarks import _floor
from benchmarks._common import (
    CONTENT,
    Check,
    Contender,
    Metrics,
    Scenario,
    Settings,
    run_probe,
)

__all__ = ["build"]

MIB = 1024 * 1024


def _write(path: str, size: int) -> None:
    with open(path, "wb") as handle:
        handle.write(os.urandom(size))


def _reveal_checks(ratio: float) -> list[Check]:
    return [
        Check(
            "Sharokey reveal peak memory",
            "Sharokey reveal",
            "peak_mib",
            4.0,
            divisor=ratio,
            unit="x file",
        ),
        Check(
            "AsyncSharokey reveal peak memory",
            "AsyncSharokey reveal",
            "peak_mib",
            4.0,
            divisor=ratio,
            unit="x file",
        ),
        Check(
            "AsyncSharokey reveal loop stall", "AsyncSharokey reveal", "stall_ms", 10.0, unit=" ms"
        ),
    ]


def build(settings: Settings) -> Scenario:
    size = settings.scale(10 * MIB, 256 * 1024)
    small = str(settings.workdir / "small.bin")
    large = str(settings.workdir / "attachment.bin")
    _write(small, 4096)
    _write(large, size)
    session = requests.Session()
    size_label = f"{size / MIB:g} MiB"

    def probe(mode: str, official: bool) -> Metrics:
        answer: dict[str, Any] = run_probe(
            {
                "mode": mode,
                "api_url": settings.api_url,
                "token": settings.token,
                "content": CONTENT,
                "small_file": small,
                "large_file": large,
                "warmup": 1,
            },
            python=settings.official_python if official else None,
            ours=not official,
            cwd=settings.workdir,
        )
        # Outside the timing: free the emulator's copy of the 14 MB body.
        session.delete(
            f"{settings.api_url}/secrets/{answer['slug']}",
            headers=_floor.get_headers(settings.token),
        )
        metrics = {
            "ms": answer["seconds"] * 1000.0,
            "peak_mib": answer["peak_bytes"] / MIB,
            "cpu_ms": answer["cpu"] * 1000.0,
        }
        for metric in ("stall_ms", "idle_stall_ms"):
            if metric in answer:
                metrics[metric] = answer[metric]
        return metrics

    floor_name = "floor (AES + base64 + requests POST)"
    contenders = [
        Contender(floor_name, "floor", lambda: probe("big-floor", False)),
        Contender("Sharokey", "ours", lambda: probe("big-sync", False)),
        Contender("AsyncSharokey", "ours", lambda: probe("big-async", False)),
    ]
    if settings.official_python is not None:
        contenders.append(
            Contender("official SDK 1.0.0", "official", lambda: probe("big-official", True))
        )
    reveals = settings.server != "light"
    if reveals:
        contenders += [
            Contender("Sharokey reveal", "ours", lambda: probe("big-reveal-sync", False)),
            Contender("AsyncSharokey reveal", "ours", lambda: probe("big-reveal-async", False)),
        ]
    ratio = size / MIB
    return Scenario(
        key="large_attachment",
        title=f"One create and one reveal of a {size_label} attachment (fresh process each)",
        metrics={
            "ms": "ms per create (reveal rows: per reveal)",
            "peak_mib": "peak RSS above baseline, MiB",
            "stall_ms": "worst event-loop stall, ms",
            "idle_stall_ms": "same ticker on an idle loop (machine noise), ms",
            "cpu_ms": "client CPU ms",
        },
        contenders=contenders,
        checks=[
            Check(f"Sharokey {size_label} create", "Sharokey", "ms", 1.5, against=floor_name),
            Check(
                f"AsyncSharokey {size_label} create", "AsyncSharokey", "ms", 1.5, against=floor_name
            ),
            Check(
                "Sharokey peak memory", "Sharokey", "peak_mib", 4.0, divisor=ratio, unit="x file"
            ),
            Check(
                "AsyncSharokey peak memory",
                "AsyncSharokey",
                "peak_mib",
                4.0,
                divisor=ratio,
                unit="x file",
            ),
            Check("AsyncSharokey loop stall", "AsyncSharokey", "stall_ms", 10.0, unit=" ms"),
            *(_reveal_checks(ratio) if reveals else []),
        ],
        official={"Sharokey": "official SDK 1.0.0", "AsyncSharokey": "official SDK 1.0.0"},
        notes=[
            "Peak memory is the resident set's high-water mark (VmHWM, reset through "
            "/proc/self/clear_refs) minus the resident set just before the call.",
            "The stall is the worst lateness of a task sleeping 1 ms over and over during the "
            "create (or reveal); the idle figure is the same ticker alone for as long right "
            "after, i.e. what the shared machine's scheduling adds on its own.",
        ],
        cleanup=session.close,
    )

"""Scenario 6, scale: 100, 1,000 and 10,000 creates through ``create_many``, then a long walk.

Each contender's round is a fresh interpreter (``python -m benchmarks.scale
--child``) against the emulator in its own process, so the resident set
measured is the client's alone. At each N it times ``create_many`` over a
generator of N items (default ``concurrency``) and reads the resident set
(``/proc/self/statm``, after ``gc.collect()``) with the N results still held
and again once they are dropped. Then it walks the first 10,000 secrets of
``list_secrets(limit=100)`` (the auto-paginating iterator), reading the
resident set at every page. Targets (issue 16): per-secret cost at the largest
N within 1.1x of the smallest, resident growth under 20 MiB from the smallest
to the largest N, and a flat walk.

Alone: ``python -m benchmarks.scale`` (``--quick`` for N = 5, 10, 20 and a
walk of 20; ``--markdown benchmarks/RESULTS.md`` replaces that file's
"Scale" section only; ``--svg benchmarks/scale.svg`` draws the curve when
matplotlib is installed: ``pip install -r benchmarks/requirements.txt``).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Optional

from benchmarks._common import (
    CONTENT,
    REPO_ROOT,
    Check,
    Contender,
    Metrics,
    ProbeError,
    Scenario,
    Settings,
    clean_env,
)

__all__ = ["build", "curve_table", "main", "plot"]

MIB = 1024 * 1024
SIZES = (100, 1_000, 10_000)
QUICK_SIZES = (5, 10, 20)
WALK, QUICK_WALK = 10_000, 20
PAGE = 100
FLAVOURS = {"Sharokey": "sync", "AsyncSharokey": "async"}
HEADING = "## Scale"


# --------------------------------------------------------------------------- the child


def _rss_mib() -> float:
    """The resident set now, MiB (``/proc/self/statm``; the high-water mark elsewhere)."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / MIB
    except (OSError, ValueError):  # pragma: no cover - not Linux
        import resource

        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / MIB


def _settled_rss() -> float:
    gc.collect()
    return _rss_mib()


def _items(n: int) -> Iterator[str]:
    return (CONTENT for _ in range(n))


def _count_failures(results: Sequence[Any]) -> int:
    return sum(isinstance(r, BaseException) for r in results)


def _child(config: dict[str, Any]) -> dict[str, Any]:
    """One contender's round in this fresh interpreter: the figures as JSON-ready numbers."""
    import asyncio

    import sharokey

    sizes, walk = config["sizes"], config["walk"]
    api_url, token = config["api_url"], config["token"]
    out: dict[str, Any] = {"sizes": {}, "failures": 0}

    def record(n: int, wall: float, cpu: float, results: list[Any]) -> None:
        out["failures"] += _count_failures(results)
        held = _settled_rss()
        del results[:]
        out["sizes"][str(n)] = {
            "ms": wall * 1000.0 / n,
            "cpu_ms": cpu * 1000.0 / n,
            "rss_held_mib": held,
            "rss_mib": _settled_rss(),
        }

    def walk_pages(pages: Iterator[Any]) -> None:
        samples, seen = [], 0
        for page in pages:
            seen += len(page.data)
            samples.append(_settled_rss())
            if seen >= walk:
                break
        out["walk"] = {"items": seen, "pages": len(samples), "rss_mib": samples}

    if config["flavour"] == "sync":
        with sharokey.Sharokey(token, api_url=api_url) as client:
            client.create_many(_items(20))  # warm-up: connections, lazy imports
            out["baseline_mib"] = _settled_rss()
            for n in sizes:
                gc.collect()
                cpu, started = time.process_time(), time.perf_counter()
                results = client.create_many(_items(n))
                wall, cpu = time.perf_counter() - started, time.process_time() - cpu
                record(n, wall, cpu, results)
            walk_pages(client.list_secrets(limit=PAGE).iter_pages())
        return out

    async def run() -> None:
        async with sharokey.AsyncSharokey(token, api_url=api_url) as client:
            await client.create_many(_items(20))
            out["baseline_mib"] = _settled_rss()
            for n in sizes:
                gc.collect()
                cpu, started = time.process_time(), time.perf_counter()
                results = await client.create_many(_items(n))
                wall, cpu = time.perf_counter() - started, time.process_time() - cpu
                record(n, wall, cpu, results)
            samples, seen = [], 0
            first = await client.list_secrets(limit=PAGE)
            async for page in first.iter_pages():
                seen += len(page.data)
                samples.append(_settled_rss())
                if seen >= walk:
                    break
            out["walk"] = {"items": seen, "pages": len(samples), "rss_mib": samples}

    asyncio.run(run())
    return out


def _run_child(config: dict[str, Any], timeout: float = 900.0) -> dict[str, Any]:
    """``_child`` in a fresh interpreter (the repository first on its path); token on stdin."""
    env = clean_env(PYTHONPATH=str(REPO_ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.scale", "--child"],
        input=json.dumps(config),
        capture_output=True,
        text=True,
        cwd=str(REPO_ROOT),
        env=env,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-6:])
        raise ProbeError(f"scale child ({config['flavour']}) failed: {tail}")
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def _metrics(answer: dict[str, Any], sizes: Sequence[int]) -> dict[str, float]:
    """One round's figures, flattened for the harness (``ms_100``, ``rss_mib_100``, ...)."""
    if answer["failures"]:
        raise ProbeError(f"{answer['failures']} creates failed during the scale round")
    low, high = str(sizes[0]), str(sizes[-1])
    figures = answer["sizes"]
    walk = answer["walk"]["rss_mib"]
    metrics: dict[str, float] = {
        "cost_ratio": figures[high]["ms"] / figures[low]["ms"],
        "ms_at_max": figures[high]["ms"],
        "growth_mib": figures[high]["rss_held_mib"] - figures[low]["rss_held_mib"],
        "walk_growth_mib": max(walk) - walk[0],
        "walk_items": float(answer["walk"]["items"]),
    }
    for n in sizes:
        row = figures[str(n)]
        metrics[f"ms_{n}"] = row["ms"]
        metrics[f"cpu_ms_{n}"] = row["cpu_ms"]
        metrics[f"rss_held_mib_{n}"] = row["rss_held_mib"]
        metrics[f"rss_mib_{n}"] = row["rss_mib"]
    return metrics


# --------------------------------------------------------------------------- reporting


def _n(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.2f}"


def curve_table(samples: dict[str, dict[str, list[float]]], sizes: Sequence[int]) -> list[str]:
    """The curve as Markdown: one row per contender and N, medians over rounds."""
    lines = [
        "| Client | N | ms per secret | client CPU ms per secret "
        "| RSS with results held, MiB | RSS after dropping them, MiB |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, figures in samples.items():
        for n in sizes:
            cells = [
                statistics.median(figures[f"{metric}_{n}"])
                for metric in ("ms", "cpu_ms", "rss_held_mib", "rss_mib")
            ]
            lines.append(f"| {name} | {n:,} | " + " | ".join(_n(c) for c in cells) + " |")
    return lines


def plot(samples: dict[str, dict[str, list[float]]], sizes: Sequence[int], path: Path) -> str:
    """Draw ms per secret and RSS against N into ``path`` (SVG); say what was done."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return (
            f"plot skipped: matplotlib is not installed (pip install -r "
            f"benchmarks/requirements.txt); {path} left as it was"
        )
    plt.rcParams["svg.hashsalt"] = "sharokey-scale"  # the same figures draw the same file
    plt.rcParams["svg.fonttype"] = "none"  # text as text: a small file
    figure, (cost, memory) = plt.subplots(1, 2, figsize=(8, 3.2))
    for name, figures in samples.items():
        cost.plot(sizes, [statistics.median(figures[f"ms_{n}"]) for n in sizes], "o-", label=name)
        memory.plot(
            sizes,
            [statistics.median(figures[f"rss_held_mib_{n}"]) for n in sizes],
            "o-",
            label=name,
        )
    for axes, label in ((cost, "ms per secret"), (memory, "client RSS, MiB (results held)")):
        axes.set_xscale("log")
        axes.set_xlabel("N secrets through create_many")
        axes.set_ylabel(label)
        axes.set_ylim(bottom=0)
        axes.grid(alpha=0.3)
        axes.legend(fontsize="small")
    figure.suptitle("create_many at scale (emulator on loopback, provisional)", fontsize="medium")
    figure.tight_layout()
    figure.savefig(path, format="svg", metadata={"Date": None})
    plt.close(figure)
    return f"plot written to {path}"


# --------------------------------------------------------------------------- the scenario


def build(settings: Settings) -> Scenario:
    sizes = QUICK_SIZES if settings.quick else SIZES
    walk = QUICK_WALK if settings.quick else WALK
    samples: dict[str, dict[str, list[float]]] = {}
    notes: list[str] = []

    def contender(name: str) -> Contender:
        def run_round() -> Metrics:
            answer = _run_child(
                {
                    "flavour": FLAVOURS[name],
                    "api_url": settings.api_url,
                    "token": settings.token,
                    "sizes": list(sizes),
                    "walk": walk,
                }
            )
            metrics = _metrics(answer, sizes)
            for metric, value in metrics.items():
                samples.setdefault(name, {}).setdefault(metric, []).append(value)
            return metrics

        return Contender(name, "ours", run_round)

    def finish() -> None:
        # After the rounds, before the report: the curve goes under the scenario's table.
        if samples:
            notes.append("\n".join(curve_table(samples, sizes)))

    low, high = f"{sizes[0]:,}", f"{sizes[-1]:,}"
    checks = []
    for name in FLAVOURS:
        checks += [
            Check(f"{name} ms/secret at {high} vs {low}", name, "cost_ratio", 1.1),
            Check(f"{name} RSS growth {low} to {high}", name, "growth_mib", 20.0, unit=" MiB"),
            Check(
                f"{name} RSS growth over a {walk:,} walk", name, "walk_growth_mib", 5.0, unit=" MiB"
            ),
        ]
    return Scenario(
        key="scale",
        title=f"create_many of {', '.join(f'{n:,}' for n in sizes)} secrets, then a {walk:,} walk",
        metrics={
            "ms_at_max": f"ms per secret at {high}",
            "cost_ratio": f"ms per secret at {high} ÷ at {low}",
            "growth_mib": f"RSS growth {low} to {high}, MiB (results held)",
            "walk_growth_mib": f"RSS growth over the walk, MiB ({PAGE} per page)",
        },
        contenders=[contender(name) for name in FLAVOURS],
        checks=checks,
        notes=notes,
        cleanup=finish,
    )


# --------------------------------------------------------------------------- alone


def replace_section(path: Path, section: str) -> None:
    """Put ``section`` (starting with :data:`HEADING`) in ``path``, replacing only its own."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    start = text.find("\n" + HEADING + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        following = text.find("\n## ", start + len(HEADING) + 2)
        rest = "" if following < 0 else text[following:]
        text = text[: start + 1] + section + rest
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def _verdicts(result: Any) -> list[str]:
    lines = ["| Measure | Value (median) | Target | Status |", "| --- | --- | --- | --- |"]
    for verdict in result.checks:
        check = verdict.check
        unit = check.unit if check.unit != "x" else "x"
        value = "—" if verdict.value is None else f"{verdict.value:.2f}{unit}"
        status = {"met": "**met**", "missed": "**MISSED**"}.get(verdict.status, "n/a")
        lines.append(f"| {check.measure} | {value} | ≤ {check.limit:g}{unit} | {status} |")
    return lines


def _section(result: Any, command: str, seconds: float, sizes: Sequence[int]) -> str:
    from benchmarks._harness import _load

    samples = {c.name: dict(c.samples) for c in result.contenders if c.samples}
    walk = next(iter(samples.values()))["walk_items"][0] if samples else 0
    rounds = f"{result.rounds} round{'s' if result.rounds != 1 else ''}"
    lines = [
        HEADING,
        "",
        f"`{command}`, {rounds}, {seconds:.0f} s in all, on {os.cpu_count()} CPUs "
        f"(load average {_load()} at the end; the benchmark's own client and emulator "
        "processes count in it). "
        "Each round is a fresh client process per contender against the emulator in its own "
        "process; figures are medians over rounds. The emulator keeps every secret it is "
        "given (SQLite in memory), so later rounds create into a larger store.",
        "",
        *_verdicts(result),
        "",
        *curve_table(samples, sizes),
        "",
        f"The walk read {walk:,.0f} secrets, {PAGE} per page, through `list_secrets()`'s "
        "page iterator; its figure is the largest resident set during the walk minus the one "
        "after the first page. RSS is read after `gc.collect()`.",
        "",
        "![create_many: ms per secret and client RSS against N](scale.svg)",
    ]
    return "\n".join(lines) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.scale", description="create_many at 100, 1,000 and 10,000."
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="N = 5, 10, 20 (a smoke test)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds (3; 1 with --quick)")
    parser.add_argument("--markdown", metavar="PATH", help="replace the Scale section of PATH")
    parser.add_argument("--svg", metavar="PATH", help="draw the curve here (needs matplotlib)")
    parser.add_argument("--json", metavar="PATH", help="also write every figure as JSON here")
    args = parser.parse_args(argv)
    if args.child:
        sys.stdout.write(json.dumps(_child(json.loads(sys.stdin.read()))))
        return 0
    from benchmarks._harness import _log, run_scenario, server_process
    from benchmarks._report import to_json

    rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
    if rounds < 1:
        raise SystemExit("error: --rounds must be at least 1")
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="sharokey-scale-") as workdir,
        server_process("emulator") as (
            api_url,
            token,
        ),
    ):
        settings = Settings(api_url, token, rounds, args.quick, Path(workdir))
        scenario = build(settings)
        result = run_scenario(scenario, rounds)
        assert scenario.cleanup is not None
        scenario.cleanup()
    sizes = QUICK_SIZES if args.quick else SIZES
    command = "python -m benchmarks.scale " + " ".join(argv if argv is not None else sys.argv[1:])
    section = _section(result, command.strip(), time.perf_counter() - started, sizes)
    sys.stdout.write(section)
    if args.markdown:
        replace_section(Path(args.markdown), section)
    if args.json:
        document = to_json(
            [("emulator", [result])], {"command": command, "quick": args.quick, "rounds": rounds}
        )
        Path(args.json).write_text(json.dumps(document, indent=2), encoding="utf-8")
    if args.svg:
        samples = {c.name: c.samples for c in result.contenders if c.samples}
        _log(plot(samples, sizes, Path(args.svg)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

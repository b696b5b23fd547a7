"""The harness: a server in its own process, interleaved rounds, medians, ratios, targets.

The server is the emulator (``--server emulator``, the default) or the light
server of ``_light.py`` (``--server light``: canned answers, no storage, so the
client's own cost is what the ratios show).

Every scenario's contenders run one after another within a round, in an
order rotated each round, so slow drift on a shared machine (another
engineer's test run) touches them all alike. A contender's figure is the
median over rounds; a ratio is the median of the per-round ratios, each round
pairing two contenders measured seconds apart.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import secrets
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Callable, Optional

from benchmarks import (
    concurrent_creates,
    get_details,
    large_attachment,
    scale,
    sequential_creates,
    startup,
)
from benchmarks._common import REPO_ROOT, Check, ProbeError, Scenario, Settings
from benchmarks._official import OFFICIAL, ensure_official
from benchmarks._report import label, report, to_json

__all__ = ["SCENARIOS", "main", "run"]

SCENARIOS: dict[str, Callable[[Settings], Scenario]] = {
    "sequential_creates": sequential_creates.build,
    "concurrent_creates": concurrent_creates.build,
    "get_details": get_details.build,
    "large_attachment": large_attachment.build,
    "startup": startup.build,
    "scale": scale.build,
}

DEFAULT_ROUNDS = 7
SERVER_START_TIMEOUT = 60.0


def _log(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


# --------------------------------------------------------------------------- the server


#: ``--server`` choices: the module run in its own process, and its extra arguments.
SERVERS: dict[str, tuple[str, list[str]]] = {
    "emulator": ("sharokey.emulator", ["--db", ":memory:", "--log-level", "warning"]),
    "light": ("benchmarks._light", []),
}


@contextmanager
def server_process(kind: str) -> Iterator[tuple[str, str]]:
    """The ``kind`` server of :data:`SERVERS` on a free port in its own process: (URL, token)."""
    module, extra = SERVERS[kind]
    token = "bench-" + secrets.token_hex(12)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    with tempfile.TemporaryFile(mode="w+") as errors:
        process = subprocess.Popen(
            [sys.executable, "-u", "-m", module, "--port", "0", "--token", token, *extra],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            cwd=str(REPO_ROOT),
            env=env,
        )
        lines: queue.Queue[Optional[str]] = queue.Queue()

        def drain(stream: IO[str]) -> None:
            for line in stream:
                lines.put(line)
            lines.put(None)

        assert process.stdout is not None
        threading.Thread(target=drain, args=(process.stdout,), daemon=True).start()
        try:
            yield _wait_for_url(lines, process, errors), token
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_for_url(
    lines: queue.Queue[Optional[str]], process: subprocess.Popen[str], errors: IO[str]
) -> str:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    marker = "listening on "
    while True:
        remaining = deadline - time.monotonic()
        try:
            line = lines.get(timeout=max(0.0, remaining))
        except queue.Empty:
            line = None
        if line is not None and marker in line:
            return line.split(marker, 1)[1].strip()
        if line is None:
            errors.seek(0)
            tail = " | ".join(errors.read().strip().splitlines()[-5:])
            state = "exited" if process.poll() is not None else "gave no URL in time"
            raise RuntimeError(f"the server {state}: {tail or 'no output'}")


# --------------------------------------------------------------------------- running


@dataclass
class ContenderResult:
    name: str
    role: str
    samples: dict[str, list[float]] = field(default_factory=dict)
    error: Optional[str] = None

    def median(self, metric: str) -> Optional[float]:
        values = self.samples.get(metric)
        return statistics.median(values) if values else None


@dataclass
class CheckResult:
    check: Check
    status: str  # "met", "missed", "n/a" or "beside" (shown for comparison, no verdict)
    value: Optional[float] = None
    ours: Optional[float] = None
    reference: Optional[float] = None
    official: Optional[float] = None
    vs_official: Optional[float] = None
    #: The middle half of the per-round ratios (first and third quartiles): how far
    #: one round's pairing may stray from the median on this machine.
    spread: Optional[tuple[float, float]] = None


@dataclass
class ScenarioResult:
    scenario: Scenario
    contenders: list[ContenderResult]
    checks: list[CheckResult]
    rounds: int
    seconds: float

    def find(self, name: Optional[str]) -> Optional[ContenderResult]:
        for result in self.contenders:
            if result.name == name and result.samples:
                return result
        return None


def run_scenario(scenario: Scenario, rounds: int) -> ScenarioResult:
    """Run every contender once per round, rotating the order; the official SDK may drop out."""
    started = time.perf_counter()
    results = {c.name: ContenderResult(c.name, c.role) for c in scenario.contenders}
    active = list(scenario.contenders)
    for number in range(rounds):
        shift = number % len(active)
        for contender in active[shift:] + active[:shift]:
            try:
                metrics = contender.run_round()
            except (ProbeError, subprocess.SubprocessError, OSError) as exc:
                if contender.role != "official":
                    raise
                # The official SDK is a reference, not the subject: note why and go on.
                results[contender.name].error = str(exc)[:300]
                results[contender.name].samples.clear()
                active.remove(contender)
                continue
            for metric, value in metrics.items():
                results[contender.name].samples.setdefault(metric, []).append(float(value))
        _log(
            f"[{scenario.key}] round {number + 1}/{rounds} done "
            f"({time.perf_counter() - started:.1f} s)"
        )
    result = ScenarioResult(
        scenario, list(results.values()), [], rounds, time.perf_counter() - started
    )
    result.checks = [judge(check, result) for check in scenario.checks]
    return result


def _round_ratios(mine: list[float], other: list[float]) -> list[float]:
    return [a / b for a, b in zip(mine, other) if b > 0]


def _paired_ratio(mine: list[float], other: list[float]) -> Optional[float]:
    ratios = _round_ratios(mine, other)
    return statistics.median(ratios) if ratios else None


def _quartiles(ratios: list[float]) -> Optional[tuple[float, float]]:
    if len(ratios) < 2:
        return None
    first, _, third = statistics.quantiles(ratios, n=4, method="inclusive")
    return first, third


def judge(check: Check, result: ScenarioResult) -> CheckResult:
    """A target's verdict, with the official SDK's figure beside it when there is one."""
    mine = result.find(check.contender)
    if mine is None or check.metric not in mine.samples:
        return CheckResult(check, "n/a")
    outcome = CheckResult(check, "n/a", ours=mine.median(check.metric))
    if check.against is not None:
        other = result.find(check.against)
        if other is None or check.metric not in other.samples:
            return outcome
        outcome.reference = other.median(check.metric)
        ratios = _round_ratios(mine.samples[check.metric], other.samples[check.metric])
        outcome.value = statistics.median(ratios) if ratios else None
        outcome.spread = _quartiles(ratios)
    else:
        median = mine.median(check.metric)
        outcome.value = None if median is None else median / check.divisor
    if check.beside:
        outcome.status = "beside"
    elif outcome.value is not None:
        within = outcome.value < check.limit if check.strict else outcome.value <= check.limit
        outcome.status = "met" if within else "missed"
    official = result.find(result.scenario.official.get(check.contender))
    if official is not None and check.metric in official.samples:
        outcome.official = official.median(check.metric)
        outcome.vs_official = _paired_ratio(
            mine.samples[check.metric], official.samples[check.metric]
        )
    return outcome


# --------------------------------------------------------------------------- entry point


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmark Sharokey and AsyncSharokey against raw floors and the official "
        "SDK 1.0.0, on an emulator started in another process (or any server).",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        metavar="N",
        help=f"interleaved rounds per scenario (default {DEFAULT_ROUNDS}; 1 with --quick)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one tiny round of each scenario (a smoke test; the official SDK only if cached)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write every figure as JSON here")
    parser.add_argument(
        "--note", metavar="TEXT", help="a line shown in bold under the report's title"
    )
    parser.add_argument("--markdown", metavar="PATH", help="also write the report here")
    parser.add_argument(
        "--only",
        metavar="KEYS",
        help="comma-separated scenarios to run: " + ", ".join(SCENARIOS),
    )
    parser.add_argument(
        "--no-official", action="store_true", help="leave the official SDK out (no venv built)"
    )
    parser.add_argument(
        "--server",
        choices=[*sorted(SERVERS), "both"],
        default="both",
        help="the server started in its own process: the emulator, the light server (canned "
        "answers, no storage, so the client's own cost shows) or both, one after the other "
        "(the default; start-up is measured once)",
    )
    parser.add_argument(
        "--api-url", metavar="URL", help="benchmark this server instead of a fresh one"
    )
    parser.add_argument(
        "--token", metavar="T", help="token for --api-url (default: $SHAROKEY_TOKEN)"
    )
    return parser


@contextmanager
def _server(kind: str, api_url: Optional[str], token: Optional[str]) -> Iterator[tuple[str, str]]:
    if api_url is None:
        with server_process(kind) as server:
            yield server
        return
    token = token or os.environ.get("SHAROKEY_TOKEN")
    if not token:
        raise SystemExit("error: --api-url needs --token (or SHAROKEY_TOKEN)")
    yield api_url.rstrip("/"), token


def _load() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def _run_on(
    kind: str,
    keys: Sequence[str],
    rounds: int,
    args: argparse.Namespace,
    official_python: Optional[Path],
    official_note: str,
) -> list[ScenarioResult]:
    """The scenarios ``keys`` against a fresh ``kind`` server (or the one of --api-url)."""
    results: list[ScenarioResult] = []
    with (
        tempfile.TemporaryDirectory(prefix="sharokey-bench-") as workdir,
        _server(kind, args.api_url, args.token) as (api_url, token),
    ):
        settings = Settings(
            api_url=api_url,
            token=token,
            rounds=rounds,
            quick=args.quick,
            workdir=Path(workdir),
            official_python=official_python,
            official_note=official_note,
            server=kind,
        )
        for key in keys:
            scenario = SCENARIOS[key](settings)
            try:
                results.append(run_scenario(scenario, rounds))
            finally:
                if scenario.cleanup is not None:
                    scenario.cleanup()
    return results


def run(argv: Optional[Sequence[str]] = None) -> dict[str, Any]:
    """Run the selected scenarios; return the JSON document (also printed as a table)."""
    args = _parser().parse_args(argv)
    rounds = args.rounds if args.rounds is not None else (1 if args.quick else DEFAULT_ROUNDS)
    if rounds < 1:
        raise SystemExit("error: --rounds must be at least 1")
    keys = list(SCENARIOS) if not args.only else [k.strip() for k in args.only.split(",")]
    unknown = [key for key in keys if key not in SCENARIOS]
    if unknown:
        raise SystemExit(f"error: unknown scenario(s) {', '.join(unknown)}")
    started = time.perf_counter()
    load_before = _load()
    if args.no_official:
        official_python, official_note = None, "left out (--no-official)"
    else:
        _log(f"official SDK: looking for {OFFICIAL} ...")
        official_python, official_note = ensure_official(build=not args.quick)
        _log(f"official SDK: {official_note}")
    kinds = sorted(SERVERS) if args.server == "both" and args.api_url is None else [args.server]
    if args.api_url is not None:
        kinds = ["api-url"]
    runs: list[tuple[str, list[ScenarioResult]]] = []
    for number, kind in enumerate(kinds):
        # Start-up does not touch the server: measured in the first pass only.
        wanted = [k for k in keys if k != "startup" or number == 0]
        _log(f"server: {label(kind)}")
        runs.append(
            (
                kind,
                _run_on(kind, wanted, rounds, args, official_python, official_note),
            )
        )
    meta = {
        "finished": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": shlex.join(
            ["python", "-m", "benchmarks", *(argv if argv is not None else sys.argv[1:])]
        ),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "cpus": os.cpu_count(),
        "load_before": load_before,
        "load_after": _load(),
        "rounds": rounds,
        "quick": args.quick,
        "server": "; ".join(label(kind) for kind in kinds),
        "server_kind": kinds[0] if len(kinds) == 1 else "both",
        "official": official_note,
        "note": args.note,
        "seconds": time.perf_counter() - started,
    }
    text = report(runs, meta)
    sys.stdout.write(text)
    document = to_json(runs, meta)
    if args.markdown:
        Path(args.markdown).write_text(text, encoding="utf-8")
    if args.json:
        Path(args.json).write_text(json.dumps(document, indent=2), encoding="utf-8")
    return document


def main(argv: Optional[Sequence[str]] = None) -> int:
    run(argv)
    return 0

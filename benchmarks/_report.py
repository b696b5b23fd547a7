"""The report: the Markdown tables and the JSON document of a run, one section per server."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Optional

from benchmarks._common import Check

if TYPE_CHECKING:
    from benchmarks._harness import ScenarioResult

__all__ = ["SERVER_LABELS", "SERVER_TITLES", "label", "report", "to_json"]

SERVER_LABELS = {
    "emulator": "the emulator in its own process on loopback",
    "light": "the light server (canned documented answers, no storage) in its own process "
    "on loopback",
    "api-url": "the server given with --api-url",
}
SERVER_TITLES = {
    "emulator": "Against the emulator",
    "light": "Against the light server (the client's own cost)",
}


def label(kind: str) -> str:
    """How the report names a server kind."""
    return SERVER_LABELS.get(kind, kind)


def _number(value: Optional[float]) -> str:
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _unit_of(metric: str) -> str:
    """The unit a metric's name says (``peak_mib``, ``ms_100``, ``cost_ratio``), if any."""
    words = metric.split("_")
    if "mib" in words:
        return " MiB"
    if "ms" in words:
        return " ms"
    if "ratio" in words:
        return "x"
    return ""


def _with_unit(value: Optional[float], metric: str) -> str:
    if value is None:
        return "—"
    return f"{_number(value)}{_unit_of(metric)}"


def _target(check: Check) -> str:
    sign = "<" if check.strict else "≤"
    return f"{sign} {check.limit:g}{check.unit}"


def _ratio(value: Optional[float], unit: str = "x") -> str:
    return "—" if value is None else f"{value:.2f}{unit}"


def _spread(spread: Optional[tuple[float, float]], unit: str) -> str:
    return "—" if spread is None else f"{spread[0]:.2f}-{spread[1]:.2f}{unit}"


def targets_table(results: Sequence[ScenarioResult]) -> list[str]:
    lines = [
        "| Scenario | Measure | Ours | Against | Ratio (or value) | Middle half of rounds "
        "| Target | Status | Official SDK | Ours ÷ official |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for result in results:
        for verdict in result.checks:
            check = verdict.check
            status = {
                "met": "**met**",
                "missed": "**MISSED**",
                "beside": "shown beside (no target)",
            }.get(verdict.status, "n/a")
            lines.append(
                "| "
                + " | ".join(
                    [
                        result.scenario.key,
                        check.measure,
                        _with_unit(verdict.ours, check.metric),
                        _with_unit(verdict.reference, check.metric),
                        _ratio(verdict.value, check.unit),
                        _spread(verdict.spread, check.unit),
                        _target(check),
                        status,
                        _with_unit(verdict.official, check.metric),
                        _ratio(verdict.vs_official),
                    ]
                )
                + " |"
            )
    return lines


def medians_tables(results: Sequence[ScenarioResult]) -> list[str]:
    lines: list[str] = []
    for result in results:
        scenario = result.scenario
        shown = [m for m in scenario.metrics if any(m in c.samples for c in result.contenders)]
        lines += [
            "",
            f"**{scenario.title}**: {result.rounds} rounds, {result.seconds:.0f} s",
            "",
            "| Contender | Role | " + " | ".join(scenario.metrics[m] for m in shown) + " |",
            "| --- | --- | " + " | ".join("---" for _ in shown) + " |",
        ]
        for contender in result.contenders:
            if contender.error is not None:
                cells = [f"failed: {contender.error}"] + [""] * (len(shown) - 1)
            else:
                cells = [_number(contender.median(m)) for m in shown]
            lines.append(f"| {contender.name} | {contender.role} | " + " | ".join(cells) + " |")
        for note in scenario.notes:
            lines += ["", note]
    return lines


def _behind_official(results: Sequence[ScenarioResult]) -> list[str]:
    return [
        v.check.measure
        for r in results
        for v in r.checks
        if v.vs_official is not None and v.vs_official > 1.0
    ]


def _section(results: Sequence[ScenarioResult], server: str, level: str) -> list[str]:
    """One server's verdicts and medians."""
    counts = {s: sum(v.status == s for r in results for v in r.checks) for s in ("met", "missed")}
    behind = _behind_official(results)
    return [
        f"Server: {server}; client CPU and memory are the client process's alone.",
        "",
        f"Targets met: {counts['met']}, missed: {counts['missed']}. Behind the official SDK: "
        + (", ".join(behind) if behind else "nowhere")
        + ". *Against* is the floor (or, for start-up, the official import) the ratio divides "
        "by; *Ours ÷ official* below 1 means this SDK is faster (or smaller) than the official "
        "one.",
        "",
        *targets_table(results),
        "",
        f"{level} Medians",
        *medians_tables(results),
    ]


def report(runs: Sequence[tuple[str, Sequence[ScenarioResult]]], meta: dict[str, Any]) -> str:
    """The Markdown report: one section per server the run used."""
    lines = [
        "# Benchmark results",
        "",
        f"Run {meta['finished']} with `{meta['command']}` ({meta['seconds']:.0f} s): Python "
        f"{meta['python']} on {meta['platform']}, {meta['cpus']} CPUs, load average "
        f"{meta['load_before']} before and {meta['load_after']} after. On a shared "
        "machine other work may run at the same time: contenders are interleaved round by "
        "round, figures are medians over rounds, "
        "and ratios are medians of per-round ratios, so compare ratios rather than absolute "
        "times.",
        "",
        f"Official SDK: {meta['official']}.",
        "",
    ]
    if meta.get("quick"):
        lines[2:2] = ["**--quick run: one tiny round; the figures mean nothing.**", ""]
    if meta.get("note"):
        lines[2:2] = [f"**{meta['note']}**", ""]
    if len(runs) == 1:
        kind, results = runs[0]
        return "\n".join(lines + _section(results, label(kind), "##")) + "\n"
    for kind, results in runs:
        lines += [
            f"## {SERVER_TITLES.get(kind, kind)}",
            "",
            *_section(results, label(kind), "###"),
        ]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def to_json(
    runs: Sequence[tuple[str, Sequence[ScenarioResult]]], meta: dict[str, Any]
) -> dict[str, Any]:
    """One server: ``{"meta", "scenarios"}``; several: ``{"meta", "runs": [{"server", ...}]}``."""
    if len(runs) == 1:
        return {"meta": meta, "scenarios": _scenarios_json(runs[0][1])}
    return {
        "meta": meta,
        "runs": [{"server": kind, "scenarios": _scenarios_json(results)} for kind, results in runs],
    }


def _scenarios_json(results: Sequence[ScenarioResult]) -> list[dict[str, Any]]:
    scenarios = []
    for result in results:
        scenario = result.scenario
        scenarios.append(
            {
                "key": scenario.key,
                "title": scenario.title,
                "rounds": result.rounds,
                "seconds": result.seconds,
                "metrics": scenario.metrics,
                "notes": scenario.notes,
                "contenders": [
                    {
                        "name": c.name,
                        "role": c.role,
                        "error": c.error,
                        "samples": c.samples,
                        "medians": {m: c.median(m) for m in c.samples},
                    }
                    for c in result.contenders
                ],
                "checks": [
                    {
                        "measure": v.check.measure,
                        "contender": v.check.contender,
                        "metric": v.check.metric,
                        "against": v.check.against,
                        "limit": v.check.limit,
                        "strict": v.check.strict,
                        "unit": v.check.unit,
                        "value": v.value,
                        "status": v.status,
                        "ours": v.ours,
                        "reference": v.reference,
                        "official": v.official,
                        "vs_official": v.vs_official,
                        "spread": list(v.spread) if v.spread is not None else None,
                    }
                    for v in result.checks
                ],
            }
        )
    return scenarios

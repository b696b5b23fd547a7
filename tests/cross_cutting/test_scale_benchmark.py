"""``python -m benchmarks.scale`` runs alone at a tiny size and touches only its own section.

The figures are never judged here (speed belongs to the benchmarks): only that
every size and the walk were measured, that ``--markdown`` replaces the
"Scale" section of a results file and nothing else, and that the plot is
drawn, or skipped with a clear message when matplotlib is missing.
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from ._support import REPO, run_module

pytest.importorskip("aiohttp", reason="the emulator and AsyncSharokey need aiohttp")

OTHER_TABLES = "# Benchmark results\n\nthe other tables\n\n## Medians\n\n| a | b |\n"


def _scale(*extra: str) -> subprocess.CompletedProcess[str]:
    return run_module("benchmarks.scale", "--quick", *extra)


@pytest.mark.live
def test_a_quick_scale_run_measures_every_size_and_the_walk(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text(OTHER_TABLES + "\n## Scale\n\nan old curve\n", encoding="utf-8")
    out = tmp_path / "scale.json"
    svg = tmp_path / "scale.svg"

    done = _scale("--markdown", str(results), "--json", str(out), "--svg", str(svg))

    assert done.returncode == 0, done.stderr[-3000:]
    text = results.read_text(encoding="utf-8")
    assert text.startswith(OTHER_TABLES)  # the other tables are left as they were
    assert "an old curve" not in text
    assert text.count("## Scale") == 1
    assert done.stdout in text
    (scenario,) = json.loads(out.read_text())["scenarios"]
    assert {c["name"] for c in scenario["contenders"]} == {"Sharokey", "AsyncSharokey"}
    for contender in scenario["contenders"]:
        samples = contender["samples"]
        for n in (5, 10, 20):
            assert samples[f"ms_{n}"][0] > 0
            assert samples[f"rss_held_mib_{n}"][0] > 0
        assert samples["walk_items"][0] >= 20
        assert all(math.isfinite(v[0]) for v in samples.values())
    for n in ("| 5 |", "| 10 |", "| 20 |"):
        assert n in done.stdout
    if importlib.util.find_spec("matplotlib") is None:
        assert "plot skipped: matplotlib is not installed" in done.stderr
        assert not svg.exists()
    else:
        assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml")


@pytest.mark.live
def test_a_results_file_without_a_scale_section_gets_one_appended(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text(OTHER_TABLES, encoding="utf-8")

    done = _scale("--markdown", str(results))

    assert done.returncode == 0, done.stderr[-3000:]
    text = results.read_text(encoding="utf-8")
    assert text.startswith(OTHER_TABLES)
    assert text.index("## Scale") > text.index("## Medians")


def test_without_matplotlib_the_plot_is_skipped_with_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(REPO))  # benchmarks/ is not installed, only the package
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    from benchmarks.scale import plot

    target = tmp_path / "scale.svg"
    said = plot({"Sharokey": {"ms_5": [1.0], "rss_held_mib_5": [30.0]}}, [5], target)

    assert said.startswith("plot skipped: matplotlib is not installed")
    assert "benchmarks/requirements.txt" in said
    assert not target.exists()

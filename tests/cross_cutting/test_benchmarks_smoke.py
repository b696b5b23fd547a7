"""The benchmark harness runs end to end: one tiny round of every scenario, well-formed results.

``python -m benchmarks --quick`` starts the emulator in its own process and
measures every contender once. These tests judge the shape of what it reports
(every scenario, every contender's figures, every target with a verdict, the
same table on stdout and in the Markdown file), never the figures
themselves: speed belongs to the benchmarks. A quick run must never build the
official SDK's virtual environment; it uses one only when already cached.
The same quick run against the light server (``--server light``), the light
server's canned answers read by the SDK, and the profiles at a tiny size are
checked the same way: shape, never speed.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ._support import REPO, run_module

pytest.importorskip("aiohttp", reason="the emulator and AsyncSharokey need aiohttp")

pytestmark = pytest.mark.live

SCENARIOS = [
    "sequential_creates",
    "concurrent_creates",
    "get_details",
    "large_attachment",
    "startup",
    "scale",
]
#: "beside": a ratio shown for comparison only (a floor no target divides by), never judged.
VERDICTS = {"met", "missed", "n/a", "beside"}


def _run_quick(tmp_path: Path, cache: Path, *extra: str) -> tuple[dict[str, Any], str, str]:
    """Run ``python -m benchmarks --quick``; return (JSON document, stdout, Markdown file)."""
    out = tmp_path / "results.json"
    markdown = tmp_path / "results.md"
    done = run_module(
        "benchmarks",
        "--quick",
        "--json",
        str(out),
        "--markdown",
        str(markdown),
        *extra,
        SHAROKEY_BENCH_CACHE=str(cache),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text()), done.stdout, markdown.read_text(encoding="utf-8")


def _assert_well_formed(document: dict[str, Any], stdout: str, markdown: str) -> None:
    assert document["meta"]["quick"] is True
    assert document["meta"]["rounds"] == 1
    assert [scenario["key"] for scenario in document["scenarios"]] == SCENARIOS
    assert stdout == markdown
    for scenario in document["scenarios"]:
        assert scenario["rounds"] == 1
        headline = next(iter(scenario["metrics"]))
        measured = {c["name"]: c for c in scenario["contenders"] if c["error"] is None}
        roles = {c["role"] for c in measured.values()}
        assert "ours" in roles, scenario["key"]
        for contender in measured.values():
            samples = contender["samples"][headline]
            assert len(samples) == 1, (scenario["key"], contender["name"])
            assert all(math.isfinite(v) and v > 0 for v in samples)
            assert contender["medians"][headline] == samples[0]
        for check in scenario["checks"]:
            assert check["status"] in VERDICTS
            assert check["measure"] in stdout
            judged = check["contender"] in measured and (
                check["against"] is None or check["against"] in measured
            )
            if judged:
                # Everything the target needs was measured: a verdict and a positive value.
                assert check["status"] != "n/a", check["measure"]
                assert math.isfinite(check["value"])
                # A growth of memory may be nil (or a little below, when pages are freed).
                assert check["value"] > 0 or check["metric"].endswith("_mib")
                if check["status"] == "beside":
                    continue  # shown for comparison, never judged against its limit
                assert (check["status"] == "met") == (
                    check["value"] < check["limit"]
                    if check["strict"]
                    else check["value"] <= check["limit"]
                )
            else:
                assert check["status"] == "n/a"


def test_quick_run_without_a_cached_official_sdk_builds_nothing(tmp_path: Path) -> None:
    cache = tmp_path / "empty-cache"
    document, stdout, markdown = _run_quick(tmp_path, cache, "--server", "emulator")

    _assert_well_formed(document, stdout, markdown)
    assert not cache.exists(), "--quick must not build the official SDK's environment"
    assert document["meta"]["official"].startswith("skipped")
    roles = {c["role"] for s in document["scenarios"] for c in s["contenders"]}
    assert "official" not in roles
    assert "floor" in roles
    big = next(s for s in document["scenarios"] if s["key"] == "large_attachment")
    # The memory and event-loop figures of the large create and reveal are there for the
    # async client.
    for name in ("AsyncSharokey", "AsyncSharokey reveal"):
        figures = next(c for c in big["contenders"] if c["name"] == name)
        assert {"ms", "peak_mib", "stall_ms", "idle_stall_ms"} <= set(figures["samples"]), name


def test_quick_run_against_the_light_server(tmp_path: Path) -> None:
    document, stdout, markdown = _run_quick(
        tmp_path, tmp_path / "empty-cache", "--server", "light", "--no-official"
    )

    _assert_well_formed(document, stdout, markdown)
    assert document["meta"]["server_kind"] == "light"
    assert "light server" in stdout
    for scenario in document["scenarios"]:
        failed = [c["name"] for c in scenario["contenders"] if c["error"] is not None]
        # Every call the scenarios make (create, details, a 10 MiB-class create) is answered.
        assert not failed, (scenario["key"], failed)


def test_by_default_both_servers_are_measured_and_reported(tmp_path: Path) -> None:
    document, stdout, markdown = _run_quick(
        tmp_path, tmp_path / "empty-cache", "--only", "get_details,startup", "--no-official"
    )

    assert stdout == markdown
    assert document["meta"]["server_kind"] == "both"
    assert [run["server"] for run in document["runs"]] == ["emulator", "light"]
    # Start-up does not touch a server: measured once, with the first.
    assert [[s["key"] for s in run["scenarios"]] for run in document["runs"]] == [
        ["get_details", "startup"],
        ["get_details"],
    ]
    assert "## Against the emulator" in stdout
    assert "## Against the light server" in stdout
    for run in document["runs"]:
        statuses = {check["measure"]: check["status"] for check in run["scenarios"][0]["checks"]}
        # The targets get a verdict against either server; the typed reference rows none.
        assert statuses.pop("Sharokey get_details") in {"met", "missed"}, run["server"]
        assert statuses.pop("AsyncSharokey get_details") in {"met", "missed"}, run["server"]
        assert set(statuses.values()) == {"beside"}, (run["server"], statuses)
        assert len(statuses) == 2, statuses


def test_quick_run_uses_a_cached_official_sdk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(REPO))  # benchmarks/ is not installed, only the package
    from benchmarks._official import cache_dir, is_official, venv_python

    cached = cache_dir()
    if not is_official(venv_python(cached)):
        pytest.skip(f"the official SDK is not cached in {cached} (a full benchmark run builds it)")
    document, stdout, markdown = _run_quick(
        tmp_path, cached.parent, "--only", "sequential_creates,startup", "--server", "emulator"
    )

    assert [s["key"] for s in document["scenarios"]] == ["sequential_creates", "startup"]
    for scenario in document["scenarios"]:
        official = [c for c in scenario["contenders"] if c["role"] == "official"]
        assert len(official) == 1 and official[0]["error"] is None, scenario["key"]
        assert official[0]["samples"]["ms"][0] > 0
    creates = document["scenarios"][0]
    beside = [c for c in creates["checks"] if c["contender"] == "Sharokey"]
    assert beside and all(c["vs_official"] is not None and c["vs_official"] > 0 for c in beside)
    assert "official SDK 1.0.0" in stdout
    assert stdout == markdown


def test_the_light_server_answers_every_documented_call_the_sdk_makes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(REPO))
    from benchmarks import _light
    from benchmarks._common import CONTENT
    from benchmarks._harness import server_process
    from sharokey import Sharokey
    from sharokey.errors import AuthenticationError

    with server_process("light") as (api_url, token), Sharokey(token, api_url=api_url) as client:
        created = client.create(CONTENT)
        assert created.slug == _light.SLUG
        assert client.get_details(created.slug).slug == _light.SLUG
        revealed = client.reveal(f"{api_url}/s/{_light.SLUG}#{_light.share_fragment()}")
        assert revealed.content == CONTENT
        walked = sum(1 for _ in client.list_secrets())
        assert walked == _light.PAGE_SIZE * _light.PAGES
        with (
            Sharokey("not-the-token", api_url=api_url) as stranger,
            pytest.raises(AuthenticationError),
        ):
            stranger.get_details(_light.SLUG)


def _module(*argv: str) -> subprocess.CompletedProcess[str]:
    """``python -m <argv>`` from the repository root, checked to have exited 0."""
    done = run_module(*argv)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_the_profiles_run_at_a_tiny_size() -> None:
    done = _module("benchmarks._profile", "--n", "3", "--top", "3")
    for key in ("sync_create", "sync_get", "async_create", "async_get", "async_gather"):
        assert f"## {key}:" in done.stdout
        assert f"### {key} / ours: cProfile" in done.stdout
        assert f"### {key} / floor: cProfile" in done.stdout
    assert done.stdout.count("unprofiled: ours ") == 5


def test_the_sampling_profile_charges_the_sdk_and_aiohttp_at_a_tiny_size() -> None:
    done = _module("benchmarks._sample", "--calls", "400", "--top", "3")
    bare, _, ours = done.stdout.partition("AsyncSharokey.get_details:")
    assert bare.startswith("bare aiohttp GET:") and "µs of process CPU per call" in ours
    assert "  ours " not in bare  # a bare GET runs none of the SDK's code


def test_a_ratio_is_reported_with_the_middle_half_of_its_rounds() -> None:
    # Paired per round: the verdict is the median ratio, the spread its quartiles, and the
    # table shows both (a figure near its target is read with the noise beside it).
    sys.path.insert(0, str(REPO))
    from benchmarks._common import Check, Contender, Scenario
    from benchmarks._harness import ContenderResult, ScenarioResult, judge
    from benchmarks._report import targets_table

    check = Check("ours vs floor", "ours", "ms", 1.10, against="floor")
    scenario = Scenario("demo", "Demo", {"ms": "ms"}, [Contender("ours", "ours", dict)], [check])
    floor = ContenderResult("floor", "floor", {"ms": [1.0, 1.0, 2.0, 1.0, 1.0]})
    ours = ContenderResult("ours", "ours", {"ms": [1.0, 1.2, 2.1, 1.05, 1.3]})
    result = ScenarioResult(scenario, [floor, ours], [], rounds=5, seconds=1.0)
    verdict = judge(check, result)
    assert verdict.value == pytest.approx(1.05)  # ratios 1.0, 1.2, 1.05, 1.05, 1.3
    assert verdict.spread == pytest.approx((1.05, 1.2))
    assert verdict.status == "met"
    result.checks = [verdict]
    assert "| 1.05x | 1.05-1.20x | ≤ 1.1x | **met** |" in "\n".join(targets_table([result]))

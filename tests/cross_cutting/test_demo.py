"""The README's first command: `sharokey demo` exits 0 only when every step held."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from sharokey import demo

pytestmark = pytest.mark.live


def test_demo_checks_every_step_and_succeeds() -> None:
    out = io.StringIO()
    assert demo.main([], out=out) == 0
    transcript = out.getvalue()
    assert "FAIL" not in transcript
    assert transcript.count("[ok ]") >= 12
    assert "Demo complete" in transcript


def test_demo_prints_no_whole_key_fragment() -> None:
    out = io.StringIO()
    demo.main([], out=out)
    for line in out.getvalue().splitlines():
        if "#" in line:
            fragment = line.split("#", 1)[1]
            assert len(fragment.split("…")[0]) <= 4, line


def test_demo_runs_as_the_cli_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sharokey", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Demo complete" in done.stdout

"""Scenario 5: start-up of ``import sharokey`` and ``sharokey --help`` against the official import.

Each command runs in a fresh isolated interpreter (``python -I``); the time
is the whole process, from spawn to exit, median of a few runs per round. A
bare ``python -I -c pass`` is shown for context: the interpreter's own share.
The console script is reproduced as ``sharokey.cli:main`` (what setup.cfg
installs), so the figure does not depend on an installed wrapper.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks._common import REPO_ROOT, Check, Contender, Metrics, Scenario, Settings, clean_env

__all__ = ["build"]

_PATH = f"import sys; sys.path.insert(0, {str(REPO_ROOT)!r}); "


def _timer(argv: list[str], repeats: int, cwd: Path) -> Metrics:
    times: list[float] = []
    env = clean_env()
    for _ in range(repeats):
        started = time.perf_counter()
        done = subprocess.run(
            argv,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=str(cwd),
            env=env,
            timeout=120,
            check=False,
        )
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise RuntimeError(f"{argv[-1][:60]!r} failed: {done.stderr.decode()[-300:]}")
    return {"ms": statistics.median(times) * 1000.0}


def build(settings: Settings) -> Scenario:
    repeats = settings.scale(3, 1)
    python = sys.executable
    cwd = settings.workdir
    import_cmd = [python, "-I", "-c", _PATH + "import sharokey"]
    help_cmd = [
        python,
        "-I",
        "-c",
        _PATH
        + "sys.argv = ['sharokey', '--help']; from sharokey.cli import main; sys.exit(main())",
    ]
    official_name = "official SDK 1.0.0: import sharokey"
    contenders = [
        Contender(
            "bare interpreter (python -I -c pass)",
            "reference",
            lambda: _timer([python, "-I", "-c", "pass"], repeats, cwd),
        ),
        Contender("import sharokey", "ours", lambda: _timer(import_cmd, repeats, cwd)),
        Contender("sharokey --help", "ours", lambda: _timer(help_cmd, repeats, cwd)),
    ]
    official = settings.official_python
    if official is not None:
        official_cmd = [str(official), "-I", "-c", "import sharokey"]
        contenders.append(
            Contender(official_name, "official", lambda: _timer(official_cmd, repeats, cwd))
        )
    return Scenario(
        key="startup",
        title=f"Start-up, whole process (median of {repeats} per round)",
        metrics={"ms": "ms from spawn to exit"},
        contenders=contenders,
        checks=[
            Check(
                "import sharokey", "import sharokey", "ms", 1.0, against=official_name, strict=True
            ),
            Check(
                "sharokey --help", "sharokey --help", "ms", 1.0, against=official_name, strict=True
            ),
        ],
    )

"""What the cross-cutting suites that run other interpreters share: the cache folder of
the official SDK 1.0.0's virtual environment (built by ``benchmarks._official``), the
clean environment its processes get, and a runner of this repository's own modules."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def cache_root() -> Path:
    explicit = os.environ.get("SHAROKEY_TEST_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "sharokey-tests"


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for the official SDK's processes: nothing that points at this project."""
    keep = ("PATH", "HOME", "SYSTEMROOT", "TMPDIR", "TEMP", "TMP", "LANG", "LC_ALL")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    # pip's own settings (index, proxies) still apply to the install.
    env.update({k: v for k, v in os.environ.items() if k.startswith(("PIP_", "HTTP", "NO_PROXY"))})
    env.update({k.lower(): v for k, v in os.environ.items() if k.lower().endswith("_proxy")})
    env.update(extra)
    return env


def tail(text: str, lines: int = 3) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


def run_module(*argv: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    """``python -m <argv>`` from the repository root (``benchmarks`` importable), not checked."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra_env)
    return subprocess.run(
        [sys.executable, "-m", *argv],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

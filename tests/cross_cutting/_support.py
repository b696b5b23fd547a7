"""What the cross-cutting suites that run other interpreters share: the cache folder of
the official SDK 1.0.0's virtual environment (built by ``benchmarks._official``), and the
clean environment its processes get."""

from __future__ import annotations

import os
from pathlib import Path


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

"""The official Sharokey Python SDK 1.0.0 in a virtual environment of its own, built once.

The official package is imported as ``sharokey`` too, so it can never share an
environment with this project. It is installed from the package index with
pip into ``~/.cache/sharokey-bench/official-1.0.0`` (``$SHAROKEY_BENCH_CACHE``
or ``$XDG_CACHE_HOME/sharokey-bench`` when set), built aside and moved into
place so an interrupted build never leaves a half-made environment behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional

from benchmarks._common import clean_env

__all__ = [
    "OFFICIAL",
    "build_official",
    "cache_dir",
    "ensure_official",
    "is_official",
    "venv_python",
]

OFFICIAL = "sharokey==1.0.0"
INSTALL_TIMEOUT = 300


def cache_dir() -> Path:
    explicit = os.environ.get("SHAROKEY_BENCH_CACHE")
    if explicit:
        return Path(explicit) / "official-1.0.0"
    xdg = os.environ.get("XDG_CACHE_HOME")
    root = Path(xdg) if xdg else Path.home() / ".cache"
    return root / "sharokey-bench" / "official-1.0.0"


def venv_python(venv: Path) -> Path:
    if os.name == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def _pip_env() -> dict[str, str]:
    # pip's own settings (index, proxies) still apply to the install.
    extra = {k: v for k, v in os.environ.items() if k.startswith(("PIP_", "HTTP", "NO_PROXY"))}
    extra.update({k.lower(): v for k, v in os.environ.items() if k.lower().endswith("_proxy")})
    return clean_env(**extra)


def is_official(python: Path) -> bool:
    """Whether ``python`` imports the official SDK 1.0.0 as ``sharokey``, isolated."""
    if not python.exists():
        return False
    check = subprocess.run(
        [
            str(python),
            "-I",
            "-c",
            "import sharokey, sys; sys.exit(not hasattr(sharokey, 'SharokeyClient') "
            "or sharokey.__version__ != '1.0.0')",
        ],
        capture_output=True,
        cwd=tempfile.gettempdir(),
        env=clean_env(),
        timeout=120,
        check=False,
    )
    return check.returncode == 0


def _tail(text: str) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-3:])


def build_official(target: Path) -> tuple[Optional[Path], str]:
    """Build ``target`` holding the official SDK: its interpreter, or ``None`` and why not.

    Also the test suite's builder (tests/cross_cutting/conftest.py), under its own cache.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=target.name + ".build-", dir=target.parent))
    try:
        made = subprocess.run(
            [sys.executable, "-m", "venv", str(staging)],
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            check=False,
        )
        if made.returncode != 0:
            return None, f"could not create a virtual environment: {_tail(made.stderr)}"
        try:
            pip = subprocess.run(
                [
                    str(venv_python(staging)),
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    "-q",
                    OFFICIAL,
                ],
                capture_output=True,
                text=True,
                cwd=tempfile.gettempdir(),
                env=_pip_env(),
                timeout=INSTALL_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return None, f"pip install {OFFICIAL} took over {INSTALL_TIMEOUT} s"
        if pip.returncode != 0:
            return None, f"pip install {OFFICIAL} failed: {_tail(pip.stderr or pip.stdout)}"
        if target.exists():
            shutil.rmtree(target)
        # Same filesystem: an atomic move; the venv finds its packages through pyvenv.cfg.
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    python = venv_python(target)
    if not is_official(python):
        return None, f"{OFFICIAL} was installed in {target} but does not import there"
    return python, f"{OFFICIAL} built in {target}"


def ensure_official(*, build: bool) -> tuple[Optional[Path], str]:
    """The official SDK's interpreter, or ``None`` and why it is missing.

    ``build=False`` (``--quick``) uses the cached environment only.
    """
    target = cache_dir()
    python = venv_python(target)
    if is_official(python):
        return python, f"{OFFICIAL} cached in {target}"
    if not build:
        return None, f"skipped: {OFFICIAL} is not cached in {target} (a full run builds it)"
    return build_official(target)
